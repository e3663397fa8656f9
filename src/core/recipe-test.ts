// `hookflow test`: runs a recipe's own `tests:` through the same interpreter as the workflow,
// with a runtime that takes step results from `mocks:` and records the actions instead of doing them.
import { formatDuration, isDuration, parseDuration } from './duration.js';
import { Interpreter, StepFailure, type ActivityCall, type StepRuntime, type WaitSpec } from './interpreter.js';
import { RecipeIndex } from './match.js';
import { eventContext } from './event-context.js';
import { renderResponse, type RenderedResponse, type ResponseOutcome } from './respond.js';
import type { Json, JsonObject, Recipe, RecipeTest, RunResult, SecretField, TriggerEvent } from './types.js';

/** One thing the run would have done: `{sms: {...}}`, `{delay: "5m"}`, `{wait_for: {...}}`. */
export type Action = { [kind: string]: Json };

export interface RecipeTestOutcome {
  name: string;
  passed: boolean;
  /** Lines of a readable diff when it failed. */
  diff: string[];
  actions: Action[];
  result: RunResult;
  /** The answer the sender would get (recipes with `respond`); `fallback` says why when it is the fallback. */
  response?: RenderedResponse & { fallback?: string };
}

const DEFAULT_RESULTS: Record<string, Json> = {
  http: { status: 200, ok: true, headers: {}, body: null },
  email: { message_id: '<test@hookflow>', accepted: [], rejected: [] },
  sms: { sid: 'SM00000000000000000000000000000000', status: 'queued' },
  push: { id: 'test', status: 201 },
};

/** Shows secrets as the recipe wrote them, so expectations can name them. */
function withSecretRefs(params: Json, fields: SecretField[]): Json {
  const copy = JSON.parse(JSON.stringify(params)) as Json;
  for (const f of fields) {
    let node: Json = copy;
    for (let i = 0; i < f.path.length - 1; i++) node = (node as Record<string, Json>)[f.path[i] as string] ?? null;
    const last = f.path[f.path.length - 1];
    if (node && typeof node === 'object' && last !== undefined) {
      const text = f.parts.map((p) => (typeof p === 'string' ? p : `{{ secret.${p.secret} }}`)).join('');
      (node as Record<string, Json>)[last as string] = text;
    }
  }
  return copy;
}

/** The checks an activity makes before it sends (an email's addresses, say): a problem fails the step as in a real run. */
export type SendCheck = (call: ActivityCall) => string | undefined;

class MockRuntime implements StepRuntime {
  readonly actions: Action[] = [];
  outcome?: ResponseOutcome;
  private clock: number;
  private readonly calls = new Map<string, number>();

  constructor(
    private readonly mocks: Record<string, Json>,
    start: number,
    private readonly check?: SendCheck,
  ) {
    this.clock = start;
  }

  now(): number {
    return this.clock;
  }

  /** A mock given as a list answers successive calls of the same step (e.g. inside for_each). */
  private mockFor(stepId: string | undefined): Json | undefined {
    if (stepId === undefined || !(stepId in this.mocks)) return undefined;
    const m = this.mocks[stepId] ?? null;
    if (!Array.isArray(m)) return m;
    const n = this.calls.get(stepId) ?? 0;
    this.calls.set(stepId, n + 1);
    return m[Math.min(n, m.length - 1)] ?? null;
  }

  async call(c: ActivityCall): Promise<{ result: Json; attempts: number }> {
    this.actions.push({ [c.kind]: withSecretRefs(c.params, c.secretFields) });
    const problem = this.check?.(c);
    if (problem !== undefined) throw new StepFailure(problem, 1);
    const mock = this.mockFor(c.stepId);
    if (mock && typeof mock === 'object' && !Array.isArray(mock) && '$fail' in mock) {
      throw new StepFailure(String(mock.$fail), c.retry.maximumAttempts);
    }
    return { result: mock === undefined ? (DEFAULT_RESULTS[c.kind] ?? null) : mock, attempts: 1 };
  }

  respond(outcome: ResponseOutcome): void {
    this.outcome ??= outcome;
  }

  async sleep(ms: number): Promise<void> {
    this.actions.push({ delay: formatDuration(ms) });
    this.clock += ms;
  }

  async waitFor(spec: WaitSpec, timeoutMs: number): Promise<TriggerEvent | null> {
    this.actions.push({ wait_for: { source: spec.source, event: spec.events.length === 1 ? spec.events[0]! : spec.events } });
    const mock = this.mockFor(spec.stepId);
    if (mock === undefined || mock === null) {
      this.clock += timeoutMs;
      return null;
    }
    // A mocked event: `{type, body}` or just the body (type = the first pattern).
    const m = mock as JsonObject;
    const hasEnvelope = typeof m === 'object' && 'body' in m;
    const ev: TriggerEvent = {
      source: spec.source,
      type: hasEnvelope && typeof m.type === 'string' ? m.type : (spec.events[0] ?? ''),
      id: hasEnvelope && typeof m.id === 'string' ? m.id : 'mock',
      received_at: new Date(this.clock).toISOString(),
      body: hasEnvelope ? (m.body ?? null) : mock,
      headers: {},
      query: {},
    };
    // The mocked event goes through the step's own source, type and `match`, as a real one would.
    if (!spec.accepts(ev)) {
      this.clock += timeoutMs;
      return null;
    }
    return ev;
  }
}

/** Is `actual` at least what `expected` says (objects: listed keys only; lists: same length)? */
export function partialMatch(expected: Json, actual: Json, path: string, diff: string[]): void {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      diff.push(`${path}: expected an object ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
      return;
    }
    for (const [k, v] of Object.entries(expected)) partialMatch(v, actual[k] ?? null, `${path}.${k}`, diff);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      diff.push(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
      return;
    }
    expected.forEach((e, i) => partialMatch(e, actual[i] ?? null, `${path}[${i}]`, diff));
    return;
  }
  if (expected !== actual) diff.push(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** `{delay: 5m}` expected and `{delay: 300s}` taken are the same wait, however each is written. */
function sameDelay(expected: Json, actual: Action): boolean {
  const e = (expected as JsonObject).delay;
  const a = actual.delay;
  return typeof e === 'string' && typeof a === 'string' && isDuration(e) && isDuration(a) && parseDuration(e) === parseDuration(a);
}

function actionKind(a: Json): string {
  return a && typeof a === 'object' && !Array.isArray(a) ? (Object.keys(a)[0] ?? '?') : '?';
}

/**
 * `expect:` is either the list of actions, or `{actions?, status?, error?, vars?}`. Actions are
 * compared in order, each one's fields as a subset of what the run did; the count must be equal.
 */
export function compareExpectation(expect: Json, actions: Action[], result: RunResult, response?: RecipeTestOutcome['response']): string[] {
  const diff: string[] = [];
  const spec: JsonObject = Array.isArray(expect) ? { actions: expect } : ((expect ?? {}) as JsonObject);
  if (spec.status !== undefined && spec.status !== result.status) {
    diff.push(`status: expected ${JSON.stringify(spec.status)}, got "${result.status}"${result.error ? ` (${result.error})` : ''}`);
  }
  if (spec.status === undefined && result.status === 'failed') diff.push(`the run failed: ${result.error ?? ''}`);
  if (typeof spec.error === 'string' && !(result.error ?? '').includes(spec.error)) {
    diff.push(`error: expected it to contain ${JSON.stringify(spec.error)}, got ${JSON.stringify(result.error ?? null)}`);
  }
  if (spec.vars !== undefined) partialMatch(spec.vars, result.vars, 'vars', diff);
  if (spec.respond !== undefined) {
    if (!response) diff.push('respond: expected an answer to the sender, but the recipe gives none');
    else partialMatch(spec.respond, response as unknown as Json, 'respond', diff);
  }
  if (Array.isArray(spec.actions)) {
    const exp = spec.actions;
    const n = Math.max(exp.length, actions.length);
    for (let i = 0; i < n; i++) {
      const e = exp[i];
      const a = actions[i];
      if (e === undefined) diff.push(`+ action ${i + 1} not expected: ${JSON.stringify(a)}`);
      else if (a === undefined) diff.push(`- action ${i + 1} expected but not taken: ${JSON.stringify(e)}`);
      else if (actionKind(e) !== actionKind(a))
        diff.push(`~ action ${i + 1}: expected ${actionKind(e)} ${JSON.stringify(e)}, got ${actionKind(a)} ${JSON.stringify(a)}`);
      else if (!sameDelay(e, a)) partialMatch(e, a, `action ${i + 1}`, diff);
    }
  }
  return diff;
}

export async function runRecipeTest(recipe: Recipe, test: RecipeTest, now = Date.parse('2026-01-01T00:00:00Z'), check?: SendCheck): Promise<RecipeTestOutcome> {
  const patterns = Array.isArray(recipe.on.event) ? recipe.on.event : [recipe.on.event];
  const firstExact = patterns.find((p) => !p.includes('*'));
  const bodies = test.events ?? [test.event ?? null];
  const several = test.events !== undefined;
  // Several events arrive a second apart, each its own delivery.
  const fed: TriggerEvent[] = bodies.map((body, i) => ({
    source: recipe.on.source,
    type: test.trigger?.type ?? firstExact ?? patterns[0] ?? 'test',
    id: several ? `${test.trigger?.id ?? 'test-delivery'}-${i + 1}` : (test.trigger?.id ?? 'test-delivery'),
    received_at: new Date(now + i * 1000).toISOString(),
    body,
    headers: Object.fromEntries(Object.entries(test.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    query: {},
  }));
  // The test's events go through the recipe's own `on` first: `expect: {started: false}` tests a filter.
  const index = new RecipeIndex([recipe]);
  const whys = fed.map((ev) => index.explain(ev)[0]);
  const matched = fed.filter((_, i) => whys[i]?.matched ?? false);
  const started = matched.length > 0;
  const event = fed[fed.length - 1]!;
  const expectObj = !Array.isArray(test.expect) && test.expect && typeof test.expect === 'object' ? test.expect : {};
  const wantStarted = expectObj.started !== false;
  if (!started || !wantStarted) {
    const result: RunResult = {
      recipe: recipe.name,
      event: { source: event.source, type: event.type, id: event.id },
      status: 'completed',
      steps: [],
      logs: [],
      vars: {},
    };
    const why = whys.find((w) => !(w?.matched ?? false)) ?? whys[0];
    const diff =
      started === wantStarted
        ? []
        : [started ? 'expected the recipe not to start, but it does' : `expected the recipe to start, but it does not: ${why?.reason ?? ''}`];
    return { name: test.name, passed: diff.length === 0, diff, actions: [], result };
  }
  // The runs flow control makes of the events (keys aside: a test's events are one key's).
  const runs = runsOf(recipe, matched);
  const rt = new MockRuntime(test.mocks ?? {}, now + (bodies.length - 1) * 1000, check);
  let result!: RunResult;
  let last!: TriggerEvent;
  for (const run of runs) {
    last = run.events[run.events.length - 1]!;
    result = await new Interpreter(recipe, last, rt, run.grouped ? run.events : undefined).run();
  }
  const response = responseOf(recipe, last, rt.outcome);
  const diff = compareExpectation(test.expect, rt.actions, result, response);
  return { name: test.name, passed: diff.length === 0, diff, actions: rt.actions, result, ...(response ? { response } : {}) };
}

/** Debounce: one run for all the events (a test's events come within one quiet period); batch: runs of `size`; otherwise one run per event. */
function runsOf(recipe: Recipe, events: TriggerEvent[]): Array<{ events: TriggerEvent[]; grouped: boolean }> {
  if (recipe.debounce) return [{ events, grouped: true }];
  if (recipe.batch) {
    const out: Array<{ events: TriggerEvent[]; grouped: boolean }> = [];
    for (let i = 0; i < events.length; i += recipe.batch.size) out.push({ events: events.slice(i, i + recipe.batch.size), grouped: true });
    return out;
  }
  return events.map((e) => ({ events: [e], grouped: false }));
}

/** The answer the sender gets, as the ingress would send it (a fallback says why). */
function responseOf(recipe: Recipe, event: TriggerEvent, outcome: ResponseOutcome | undefined): RecipeTestOutcome['response'] {
  const spec = recipe.respond;
  if (!spec) return undefined;
  if (spec.after === undefined) return renderResponse(spec, eventContext(event));
  if (outcome && 'response' in outcome) return outcome.response;
  const fb = renderResponse(spec.fallback ?? { status: 200, body: '' }, eventContext(event));
  return { ...fb, fallback: outcome && 'reason' in outcome ? outcome.reason : `step "${spec.after}" gave no result` };
}
