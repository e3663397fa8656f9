// The step interpreter: walks a recipe's steps against a run's context. PURE — every effect
// (activities, timers, waiting for events, loop chunks run apart) goes through the `StepRuntime` it
// is given: the Temporal workflow supplies the durable one, `hookflow test` a recording one with mocks.
// Steps are dispatched on a table keyed by step kind, so a kind without a handler is a type error.
import { FIELD_ESCAPERS } from './escape.js';
import { DEFAULT_STEP_TIMEOUT_MS } from './outbound-defaults.js';
import { eventContext, triggerOf } from './event-context.js';
import { evaluateExpression, isTruthy } from './expr.js';
import { renderTemplate, renderValue } from './template.js';
import { formatDuration, parseDuration } from './duration.js';
import {
  CHUNK_ITERATIONS,
  jsonBytes,
  LoopTally,
  MAX_CHUNK_INPUT_BYTES,
  MAX_ITERATIONS,
  MAX_LOGS,
  MAX_LOOP_RESULT_BYTES,
  type ForEachStep,
  type LoopChunk,
  type LoopChunkResult,
} from './loops.js';
import { renderResponse, type ResponseOutcome } from './respond.js';
import { stepKind, type OutboundKind, type StepKind, type StepOf } from './step-kinds.js';
import { captureContext, waitAccepts, type WaitCriteria } from './waits.js';
import type { Json, JsonObject, Recipe, RetryPolicy, RunFailure, RunResult, SecretField, Step, StepRecord, TriggerEvent } from './types.js';

export { stepKind, type OutboundKind };

export interface ResolvedRetry {
  maximumAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
}

/** Outbound retry defaults of the spec: 5 attempts, 1 s initial, factor 2, 1 min max (the timeout: outbound-defaults.ts). */
export const DEFAULT_RETRY: ResolvedRetry = {
  maximumAttempts: 5,
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 60_000,
};

/**
 * Outbound steps run as local activities when their time limit is at most this: the call runs in
 * the run's own worker and leaves one marker in the history, about half of Temporal's work per step.
 * Longer calls go through the server as regular activities (`mode: activity` asks for that anyway):
 * a local activity holds the workflow task's slot while it runs, and its attempts show only when
 * the step ends.
 */
export const LOCAL_STEP_MAX_TIMEOUT_MS = 30_000;

export function outboundMode(step: { mode?: 'local' | 'activity' }, timeoutMs: number): 'local' | 'activity' {
  return step.mode ?? (timeoutMs <= LOCAL_STEP_MAX_TIMEOUT_MS ? 'local' : 'activity');
}

export interface ActivityCall {
  kind: OutboundKind;
  /** `local`: a local activity in this worker; `activity`: a regular activity through the server. */
  mode: 'local' | 'activity';
  stepPath: string;
  stepId?: string;
  params: Json;
  secretFields: SecretField[];
  timeoutMs: number;
  retry: ResolvedRetry;
  /** One line for the Temporal UI: `http presence: GET https://…`. */
  summary: string;
}

/** A failed outbound call, after its retries. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly attempts: number,
  ) {
    super(message);
    this.name = 'StepFailure';
  }
}

/** `fail:` steps and unrecoverable recipe errors end the run with this; `failure` says which step and why. */
export class RunFailed extends Error {
  constructor(
    message: string,
    readonly failure?: RunFailure,
  ) {
    super(message);
    this.name = 'RunFailed';
  }
}

export interface WaitSpec extends WaitCriteria {
  /** Is this incoming event the one? Evaluates the step's `match` against it. */
  accepts(ev: TriggerEvent): boolean;
  stepPath: string;
  stepId?: string;
}

export interface StepRuntime {
  /** Runs an outbound activity with retries; throws StepFailure when it finally fails. */
  call(call: ActivityCall): Promise<{ result: Json; attempts: number }>;
  sleep(ms: number, stepPath: string, stepId?: string): Promise<void>;
  /** Resolves with the first matching event (including ones that arrived earlier in the run), or null on timeout. */
  waitFor(spec: WaitSpec, timeoutMs: number): Promise<TriggerEvent | null>;
  /** Milliseconds since the epoch, as the runtime sees time (workflow time in Temporal). */
  now(): number;
  /** Told before each step runs (the workflow shows it in the Temporal UI as the run's current step). */
  onStep?(path: string, kind: string): void;
  /** The run's `respond` answer, once its `after` step has a result (the webhook's sender waits for it). */
  respond?(outcome: ResponseOutcome): void;
  /**
   * Runs a chunk of a long loop's iterations apart (a child workflow), so no one workflow's history
   * or task grows with the list. Absent: every loop runs inline (`hookflow test`).
   */
  runLoopChunk?(chunk: LoopChunk): Promise<LoopChunkResult>;
}

interface Scope {
  /** Context for expressions: event, headers, query, trigger, vars, steps, loop variables. */
  ctx: Record<string, unknown>;
  /** The `steps` map visible in this scope (a loop iteration gets its own, seeing the outer ones). */
  steps: Record<string, Json>;
  /** Prefix of step paths, e.g. `notify[2].` inside a loop iteration. */
  prefix: string;
  /** Where this scope's step records go (a loop iteration collects its own, for the loop's tally). */
  records: StepRecord[];
}

interface Executed {
  result?: Json;
  attempts: number;
  output?: string;
  /** The step recorded itself (a loop's summary): no generic record. */
  recorded?: boolean;
}

type Handler<K extends StepKind> = (step: StepOf<K>, scope: Scope, path: string) => Promise<Executed>;

const SHORT = 160;
function short(s: string): string {
  return s.length > SHORT ? `${s.slice(0, SHORT - 1)}…` : s;
}

export function resolveRetry(retry: RetryPolicy | undefined): ResolvedRetry {
  return {
    maximumAttempts: retry?.attempts ?? DEFAULT_RETRY.maximumAttempts,
    initialIntervalMs: retry?.initial ? parseDuration(retry.initial) : DEFAULT_RETRY.initialIntervalMs,
    backoffCoefficient: retry?.factor ?? DEFAULT_RETRY.backoffCoefficient,
    maximumIntervalMs: retry?.max ? parseDuration(retry.max) : DEFAULT_RETRY.maximumIntervalMs,
  };
}

/** A duration as written (`5m`) or from a template (`{{ event.wait }}`). */
function durationOf(text: string, ctx: Record<string, unknown>): number {
  return parseDuration(text.includes('{{') ? String(renderTemplate(text, ctx)) : text);
}

function describeOutbound(kind: OutboundKind, params: Json): string {
  const p = (params ?? {}) as JsonObject;
  switch (kind) {
    case 'http':
      return `${String(p.method ?? (p.json !== undefined || p.form !== undefined || p.body !== undefined ? 'POST' : 'GET')).toUpperCase()} ${String(p.url ?? '')}`;
    case 'email':
      return `email to ${Array.isArray(p.to) ? p.to.join(', ') : String(p.to ?? '')}: ${String(p.subject ?? '')}`;
    case 'sms':
      return `sms to ${String(p.to ?? '')}`;
    case 'push':
      return `${String(p.provider ?? 'push')} push${p.title ? `: ${String(p.title)}` : ''}`;
  }
}

function describeResult(kind: OutboundKind, result: Json): string {
  const r = (result ?? {}) as JsonObject;
  switch (kind) {
    case 'http':
      return `→ ${String(r.status)}`;
    case 'email':
      return `→ ${String(r.message_id ?? 'sent')}`;
    case 'sms':
      return `→ ${String(r.sid ?? '')} ${String(r.status ?? '')}`.trimEnd();
    case 'push':
      return `→ ${String(r.status ?? r.id ?? 'sent')}`;
  }
}

/** Runs a recipe's steps; never throws for a step failure (recorded instead) — only the result says. */
export class Interpreter {
  readonly records: StepRecord[] = [];
  readonly logs: RunResult['logs'] = [];
  logsDropped = 0;
  readonly vars: Record<string, Json>;
  private responded = false;

  private readonly handlers: { [K in StepKind]: Handler<K> } = {
    http: (step, scope, path) => this.outbound('http', step, step.http as unknown as Json, scope, path),
    email: (step, scope, path) => this.outbound('email', step, step.email as unknown as Json, scope, path),
    sms: (step, scope, path) => this.outbound('sms', step, step.sms as unknown as Json, scope, path),
    push: (step, scope, path) => this.outbound('push', step, step.push as unknown as Json, scope, path),
    log: async (step, scope) => {
      const spec = typeof step.log === 'string' ? { message: step.log } : step.log;
      const message = String(renderTemplate(spec.message, scope.ctx) ?? '');
      const fields = spec.fields !== undefined ? renderValue(spec.fields, scope.ctx).value : undefined;
      const level = typeof step.log === 'string' ? 'info' : (step.log.level ?? 'info');
      this.log({ level, message, ...(fields !== undefined ? { fields } : {}), at: new Date(this.rt.now()).toISOString() });
      return { attempts: 0, output: short(message) };
    },
    set: async (step, scope) => {
      const names: string[] = [];
      for (const [name, template] of Object.entries(step.set)) {
        this.vars[name] = renderValue(template, scope.ctx).value;
        names.push(name);
      }
      return { attempts: 0, output: `set ${names.join(', ')}` };
    },
    if: async (step, scope, path) => {
      const cond = isTruthy(evaluateExpression(step.if, scope.ctx));
      const branch = cond ? step.then : (step.else ?? []);
      await this.runSteps(branch, scope, `${path}.${cond ? 'then' : 'else'}`);
      return { attempts: 0, output: cond ? 'then' : 'else' };
    },
    for_each: (step, scope, path) => this.forEach(step, scope, path),
    delay: async (step, scope, path) => {
      const ms =
        typeof step.delay === 'string' ? durationOf(step.delay, scope.ctx) : Date.parse(String(renderTemplate(step.delay.until, scope.ctx))) - this.rt.now();
      if (Number.isNaN(ms)) throw new RunFailed(`step ${path}: delay until is not a timestamp`);
      if (ms > 0) await this.rt.sleep(ms, path, step.id);
      return { attempts: 0, output: `waited ${Math.max(0, Math.round(ms / 1000))} s` };
    },
    wait_for: async (step, scope, path) => {
      const w = step.wait_for;
      // The run's values `match` reads are captured now: the wait is judged against them later,
      // possibly outside this run (the dispatcher routing new deliveries).
      const criteria: WaitCriteria = {
        source: w.source ?? this.event.source,
        events: Array.isArray(w.event) ? w.event : [w.event],
        ...(w.match ? { match: w.match } : {}),
        context: captureContext(w.match, scope.ctx),
      };
      const timeoutMs = durationOf(w.timeout, scope.ctx);
      const got = await this.rt.waitFor({ ...criteria, accepts: (ev) => waitAccepts(criteria, ev), stepPath: path, stepId: step.id }, timeoutMs);
      const result: Json = got ? { ...triggerOf(got), body: got.body, headers: got.headers } : null;
      return { result, attempts: 0, output: got ? `received ${got.type} ${got.id}` : `timed out after ${formatDuration(timeoutMs)}` };
    },
    fail: async (step, scope, path) => {
      const message = String(renderTemplate(step.fail, scope.ctx) ?? 'failed');
      throw new RunFailed(message, { step: path, message, attempts: 0 });
    },
  };

  constructor(
    private readonly recipe: Recipe,
    private readonly event: TriggerEvent,
    private readonly rt: StepRuntime,
    /** A debounced or batched run's events, in arrival order (`events` in expressions: their bodies). */
    private readonly events?: TriggerEvent[],
  ) {
    this.vars = { ...(recipe.vars ?? {}) };
  }

  rootScope(): Scope {
    const steps: Record<string, Json> = {};
    return {
      steps,
      prefix: '',
      records: this.records,
      ctx: {
        ...eventContext(this.event),
        vars: this.vars,
        steps,
        ...(this.events ? { events: this.events.map((e) => e.body) } : {}),
      },
    };
  }

  async run(): Promise<RunResult> {
    const base = {
      recipe: this.recipe.name,
      event: { source: this.event.source, type: this.event.type, id: this.event.id },
    };
    const extra = (): Partial<RunResult> => (this.logsDropped > 0 ? { logs_dropped: this.logsDropped } : {});
    const root = this.rootScope();
    try {
      await this.runSteps(this.recipe.steps, root, 'steps');
      return { ...base, status: 'completed', steps: this.records, logs: this.logs, vars: this.vars, ...extra() };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const failure: RunFailure = err instanceof RunFailed && err.failure ? err.failure : { step: '', message, attempts: 0 };
      const onFailure = await this.runOnFailure(root, failure);
      return { ...base, status: 'failed', error: message, failure, ...onFailure, steps: this.records, logs: this.logs, vars: this.vars, ...extra() };
    }
  }

  /**
   * `on_failure:` steps, once the run has failed for good. They see the run's context and `error`
   * ({step, message, attempts}); if one of them fails too, the run stays failed with its first error.
   */
  private async runOnFailure(root: Scope, failure: RunFailure): Promise<Pick<RunResult, 'on_failure_error'>> {
    const steps = this.recipe.on_failure;
    if (!steps || steps.length === 0) return {};
    const scope: Scope = { ...root, ctx: { ...root.ctx, error: failure as unknown as Json } };
    try {
      await this.runSteps(steps, scope, 'on_failure');
      return {};
    } catch (err) {
      return { on_failure_error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Runs one chunk of a long loop (inside a child workflow): the iterations, then what the parent needs back. */
  async runChunk(chunk: LoopChunk): Promise<LoopChunkResult> {
    for (const k of Object.keys(this.vars)) delete this.vars[k];
    Object.assign(this.vars, (chunk.ctx.vars ?? {}) as Record<string, Json>);
    const steps = { ...((chunk.ctx.steps ?? {}) as Record<string, Json>) };
    const scope: Scope = { ctx: { ...chunk.ctx, vars: this.vars, steps }, steps, prefix: '', records: this.records };
    const tally = new LoopTally(chunk.items.length);
    const results: Json[] | undefined = chunk.collect ? new Array<Json>(chunk.items.length).fill(null) : undefined;
    let failed: string | undefined;
    let failure: RunFailure | undefined;
    try {
      await this.iterate(chunk.step, scope, chunk.path, chunk.items, chunk.offset, tally, results);
    } catch (err) {
      failed = err instanceof Error ? err.message : String(err);
      if (err instanceof RunFailed) failure = err.failure;
    }
    return {
      vars: this.vars,
      logs: this.logs,
      logsDropped: this.logsDropped,
      tally: tally.state,
      ...(results ? { results } : {}),
      ...(failed !== undefined ? { failed } : {}),
      ...(failure ? { failure } : {}),
    };
  }

  private log(line: RunResult['logs'][number]): void {
    if (this.logs.length < MAX_LOGS) this.logs.push(line);
    else this.logsDropped++;
  }

  private async runSteps(steps: Step[], scope: Scope, where: string): Promise<void> {
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      await this.runStep(step, scope, `${scope.prefix}${step.id ?? `${where}[${i}]`}`);
    }
  }

  private record(scope: Scope, rec: Omit<StepRecord, 'duration_ms' | 'started_at'>, startedAt: number): void {
    scope.records.push({ ...rec, started_at: new Date(startedAt).toISOString(), duration_ms: this.rt.now() - startedAt });
  }

  private async runStep(step: Step, scope: Scope, path: string): Promise<void> {
    const kind = stepKind(step);
    this.rt.onStep?.(path, kind);
    const startedAt = this.rt.now();
    const base = { path, id: step.id, kind };
    try {
      const handler = this.handlers[kind] as Handler<StepKind>;
      const { result, attempts, output, recorded } = await handler(step as StepOf<StepKind>, scope, path);
      if (step.id !== undefined && result !== undefined) scope.steps[step.id] = result;
      this.maybeRespond(step, scope);
      // Control steps record themselves through their children; leaves get a line each.
      if (!recorded && (kind !== 'if' || step.id !== undefined)) this.record(scope, { ...base, status: 'ok', attempts, output }, startedAt);
    } catch (err) {
      if (err instanceof RunFailed) {
        if (kind === 'fail') this.record(scope, { ...base, status: 'failed', attempts: 0, error: err.message }, startedAt);
        throw err;
      }
      const message = err instanceof Error ? err.message : String(err);
      const attempts = err instanceof StepFailure ? err.attempts : 0;
      this.record(scope, { ...base, status: 'failed', attempts, error: short(message) }, startedAt);
      if (step.continue_on_error) {
        if (step.id !== undefined) scope.steps[step.id] = { ok: false, error: message };
        this.maybeRespond(step, scope);
        return;
      }
      throw new RunFailed(`step ${path} (${kind}) failed: ${message}`, { step: path, message, attempts });
    }
  }

  /** Renders the recipe's `respond` once its `after` step has a result, and hands it to the runtime. */
  private maybeRespond(step: Step, scope: Scope): void {
    const spec = this.recipe.respond;
    if (this.responded || spec?.after === undefined || step.id !== spec.after || !this.rt.respond) return;
    this.responded = true;
    try {
      this.rt.respond({ response: renderResponse(spec, scope.ctx) });
    } catch (err) {
      this.rt.respond({ fallback: true, reason: `respond could not be rendered: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  private async outbound(kind: OutboundKind, step: Step, raw: Json, scope: Scope, path: string): Promise<Executed> {
    // Event data is encoded where it lands (url, html): see escape.ts.
    const { value, secretFields } = renderValue(raw, scope.ctx, FIELD_ESCAPERS[kind]);
    const what = describeOutbound(kind, value);
    const timeoutMs = step.timeout ? parseDuration(step.timeout) : DEFAULT_STEP_TIMEOUT_MS;
    const { result, attempts } = await this.rt.call({
      kind,
      mode: outboundMode(step, timeoutMs),
      stepPath: path,
      stepId: step.id,
      params: value,
      secretFields,
      timeoutMs,
      retry: resolveRetry(step.retry),
      summary: short(`${step.name ?? path}: ${what}`),
    });
    return { result, attempts, output: short(`${what} ${describeResult(kind, result)}`) };
  }

  /**
   * A loop: inline when short (or when the runtime cannot run chunks apart), else chunk by chunk,
   * each in its own child workflow, one chunk at a time so `concurrency` holds for the whole loop.
   * The loop records one summary line; its steps' records are kept in full only for short loops.
   */
  private async forEach(step: ForEachStep, scope: Scope, path: string): Promise<Executed> {
    const startedAt = this.rt.now();
    const list = evaluateExpression(step.for_each, scope.ctx);
    if (!Array.isArray(list)) throw new RunFailed(`step ${path}: for_each must give a list, got ${list === null ? 'null' : typeof list}`);
    if (list.length > MAX_ITERATIONS) {
      throw new RunFailed(
        `step ${path}: for_each gives ${list.length} items, over the limit of ${MAX_ITERATIONS} per loop; split the list, or start one run per part`,
      );
    }
    const collect = step.id !== undefined;
    const results: Json[] | undefined = collect ? new Array<Json>(list.length).fill(null) : undefined;
    const tally = new LoopTally(list.length);
    let failure: unknown;
    try {
      if (this.rt.runLoopChunk && list.length > CHUNK_ITERATIONS) await this.inChunks(step, scope, path, list, tally, results);
      else await this.iterate(step, scope, path, list, 0, tally, results);
    } catch (err) {
      failure = err;
    }
    scope.records.push(...tally.records());
    const summary = tally.summary();
    this.record(
      scope,
      {
        path,
        id: step.id,
        kind: 'for_each',
        status: failure ? 'failed' : 'ok',
        attempts: 0,
        output: short(summary),
        ...(failure ? { error: short(String((failure as Error).message ?? failure)) } : {}),
      },
      startedAt,
    );
    if (failure) throw failure;
    return { ...(results ? { result: results } : {}), attempts: 0, output: summary, recorded: true };
  }

  private async inChunks(step: ForEachStep, scope: Scope, path: string, list: Json[], tally: LoopTally, results: Json[] | undefined): Promise<void> {
    const ctx = scope.ctx as Record<string, Json>;
    const ctxBytes = jsonBytes(ctx);
    const chunks = Math.ceil(list.length / CHUNK_ITERATIONS);
    if (ctxBytes * chunks + jsonBytes(list) > MAX_CHUNK_INPUT_BYTES) {
      throw new RunFailed(
        `step ${path}: a loop of ${list.length} items over a context of ${Math.round(ctxBytes / 1024)} KiB needs ${Math.round((ctxBytes * chunks) / 1048576)} MiB of chunk inputs, over the limit of ${MAX_CHUNK_INPUT_BYTES / 1048576} MiB; loop over a smaller list or a smaller event`,
      );
    }
    let resultBytes = 0;
    for (let index = 0, offset = 0; offset < list.length; index++, offset += CHUNK_ITERATIONS) {
      const items = list.slice(offset, offset + CHUNK_ITERATIONS);
      const r = await this.rt.runLoopChunk!({ path, index, offset, items, step, ctx: { ...ctx, vars: this.vars }, collect: results !== undefined });
      for (const k of Object.keys(this.vars)) delete this.vars[k];
      Object.assign(this.vars, r.vars);
      for (const line of r.logs) this.log(line);
      this.logsDropped += r.logsDropped;
      tally.merge(r.tally);
      if (results && r.results) {
        resultBytes += jsonBytes(r.results);
        if (resultBytes > MAX_LOOP_RESULT_BYTES) {
          throw new RunFailed(
            `step ${path}: the loop's results (steps.${step.id}) passed ${MAX_LOOP_RESULT_BYTES / 1048576} MiB after ${offset + items.length} of ${list.length} iterations, more than a run can carry; remove the loop's id if no later step reads steps.${step.id}`,
          );
        }
        results.splice(offset, r.results.length, ...r.results);
      }
      if (r.failed !== undefined) throw new RunFailed(r.failed, r.failure);
    }
  }

  /** Runs iterations of `items` (global indexes from `offset`), `concurrency` at a time. */
  private async iterate(
    step: ForEachStep,
    scope: Scope,
    path: string,
    items: Json[],
    offset: number,
    tally: LoopTally,
    results: Json[] | undefined,
  ): Promise<void> {
    const as = step.as ?? 'item';
    const concurrency = Math.max(1, step.concurrency ?? 1);
    let next = 0;
    let stop: unknown;
    const worker = async (): Promise<void> => {
      while (next < items.length && stop === undefined) {
        const i = next++;
        const index = offset + i;
        const steps: Record<string, Json> = { ...scope.steps };
        const records: StepRecord[] = [];
        const inner: Scope = { steps, records, prefix: `${path}[${index}].`, ctx: { ...scope.ctx, steps, [as]: items[i] ?? null, index } };
        try {
          await this.runSteps(step.steps, inner, 'steps');
        } catch (err) {
          tally.add(index, records, false);
          stop ??= err;
          return;
        }
        tally.add(index, records, true);
        if (results) {
          const own: JsonObject = {};
          for (const [k, v] of Object.entries(steps)) if (!(k in scope.steps) || scope.steps[k] !== v) own[k] = v;
          results[i] = own;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
    if (stop !== undefined) throw stop;
  }
}

/** Convenience: run a recipe to its result. */
export function interpret(recipe: Recipe, event: TriggerEvent, rt: StepRuntime, events?: TriggerEvent[]): Promise<RunResult> {
  return new Interpreter(recipe, event, rt, events).run();
}
