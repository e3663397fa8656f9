// The step interpreter: walks a recipe's steps against a run's context. PURE — every effect
// (activities, timers, waiting for events) goes through the `StepRuntime` it is given: the
// Temporal workflow supplies the durable one, `hookflow test` a recording one with mocks.
import { FIELD_ESCAPERS } from './escape.js';
import { evaluateExpression, isTruthy } from './expr.js';
import { renderTemplate, renderValue } from './template.js';
import { parseDuration } from './duration.js';
import { globMatches } from './glob.js';
import type {
  Json,
  JsonObject,
  Recipe,
  RetryPolicy,
  RunResult,
  SecretField,
  Step,
  StepRecord,
  TriggerEvent,
} from './types.js';

export type OutboundKind = 'http' | 'email' | 'sms' | 'push';

export interface ResolvedRetry {
  maximumAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
}

/** Outbound defaults of the spec: 10 s per attempt; 5 attempts, 1 s initial, factor 2, 1 min max. */
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_RETRY: ResolvedRetry = {
  maximumAttempts: 5,
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 60_000,
};

export interface ActivityCall {
  kind: OutboundKind;
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

/** `fail:` steps and unrecoverable recipe errors end the run with this. */
export class RunFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunFailed';
  }
}

export interface WaitSpec {
  source: string;
  events: string[];
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
}

interface Scope {
  /** Context for expressions: event, headers, query, trigger, vars, steps, loop variables. */
  ctx: Record<string, unknown>;
  /** The `steps` map visible in this scope (a loop iteration gets its own, seeing the outer ones). */
  steps: Record<string, Json>;
  /** Prefix of step paths, e.g. `notify[2].` inside a loop iteration. */
  prefix: string;
}

const SHORT = 160;
function short(s: string): string {
  return s.length > SHORT ? `${s.slice(0, SHORT - 1)}…` : s;
}

export function stepKind(step: Step): string {
  for (const k of ['http', 'email', 'sms', 'push', 'log', 'set', 'if', 'for_each', 'delay', 'wait_for', 'fail'] as const) {
    if (k in step) return k;
  }
  return 'unknown';
}

export function resolveRetry(retry: RetryPolicy | undefined): ResolvedRetry {
  return {
    maximumAttempts: retry?.attempts ?? DEFAULT_RETRY.maximumAttempts,
    initialIntervalMs: retry?.initial ? parseDuration(retry.initial) : DEFAULT_RETRY.initialIntervalMs,
    backoffCoefficient: retry?.factor ?? DEFAULT_RETRY.backoffCoefficient,
    maximumIntervalMs: retry?.max ? parseDuration(retry.max) : DEFAULT_RETRY.maximumIntervalMs,
  };
}

function formatMs(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
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
  readonly vars: Record<string, Json>;

  constructor(
    private readonly recipe: Recipe,
    private readonly event: TriggerEvent,
    private readonly rt: StepRuntime,
  ) {
    this.vars = { ...(recipe.vars ?? {}) };
  }

  rootScope(): Scope {
    const steps: Record<string, Json> = {};
    return {
      steps,
      prefix: '',
      ctx: {
        event: this.event.body,
        headers: this.event.headers,
        query: this.event.query,
        trigger: {
          source: this.event.source,
          type: this.event.type,
          id: this.event.id,
          received_at: this.event.received_at,
        },
        vars: this.vars,
        steps,
      },
    };
  }

  async run(): Promise<RunResult> {
    const base = {
      recipe: this.recipe.name,
      event: { source: this.event.source, type: this.event.type, id: this.event.id },
    };
    try {
      await this.runSteps(this.recipe.steps, this.rootScope(), 'steps');
      return { ...base, status: 'completed', steps: this.records, logs: this.logs, vars: this.vars };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return { ...base, status: 'failed', error: message, steps: this.records, logs: this.logs, vars: this.vars };
    }
  }

  private async runSteps(steps: Step[], scope: Scope, where: string): Promise<void> {
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      await this.runStep(step, scope, `${scope.prefix}${step.id ?? `${where}[${i}]`}`);
    }
  }

  private record(rec: Omit<StepRecord, 'duration_ms' | 'started_at'>, startedAt: number): void {
    this.records.push({ ...rec, started_at: new Date(startedAt).toISOString(), duration_ms: this.rt.now() - startedAt });
  }

  private async runStep(step: Step, scope: Scope, path: string): Promise<void> {
    const kind = stepKind(step);
    this.rt.onStep?.(path, kind);
    const startedAt = this.rt.now();
    const base = { path, id: step.id, kind };
    try {
      const { result, attempts, output } = await this.execute(step, kind, scope, path);
      if (step.id !== undefined && result !== undefined) scope.steps[step.id] = result;
      // Control steps record themselves through their children; leaves get a line each.
      if (!['if', 'for_each'].includes(kind) || step.id !== undefined) {
        this.record({ ...base, status: 'ok', attempts, output }, startedAt);
      }
    } catch (err) {
      if (err instanceof RunFailed) {
        if (kind === 'fail') this.record({ ...base, status: 'failed', attempts: 0, error: err.message }, startedAt);
        throw err;
      }
      const message = err instanceof Error ? err.message : String(err);
      const attempts = err instanceof StepFailure ? err.attempts : 0;
      this.record({ ...base, status: 'failed', attempts, error: short(message) }, startedAt);
      if (step.continue_on_error) {
        if (step.id !== undefined) scope.steps[step.id] = { ok: false, error: message };
        return;
      }
      throw new RunFailed(`step ${path} (${kind}) failed: ${message}`);
    }
  }

  private async execute(
    step: Step,
    kind: string,
    scope: Scope,
    path: string,
  ): Promise<{ result?: Json; attempts: number; output?: string }> {
    if ('http' in step || 'email' in step || 'sms' in step || 'push' in step) {
      const k = kind as OutboundKind;
      const raw = (step as unknown as Record<string, Json>)[k] ?? null;
      // Event data is encoded where it lands (url, html): see escape.ts.
      const { value, secretFields } = renderValue(raw, scope.ctx, FIELD_ESCAPERS[k]);
      const what = describeOutbound(k, value);
      const { result, attempts } = await this.rt.call({
        kind: k,
        stepPath: path,
        stepId: step.id,
        params: value,
        secretFields,
        timeoutMs: step.timeout ? parseDuration(step.timeout) : DEFAULT_TIMEOUT_MS,
        retry: resolveRetry(step.retry),
        summary: short(`${step.name ?? path}: ${what}`),
      });
      return { result, attempts, output: short(`${what} ${describeResult(k, result)}`) };
    }
    if ('log' in step) {
      const spec = typeof step.log === 'string' ? { message: step.log } : step.log;
      const message = String(renderTemplate(spec.message, scope.ctx) ?? '');
      const fields = spec.fields !== undefined ? renderValue(spec.fields, scope.ctx).value : undefined;
      const level = typeof step.log === 'string' ? 'info' : (step.log.level ?? 'info');
      this.logs.push({ level, message, ...(fields !== undefined ? { fields } : {}), at: new Date(this.rt.now()).toISOString() });
      return { attempts: 0, output: short(message) };
    }
    if ('set' in step) {
      const names: string[] = [];
      for (const [name, template] of Object.entries(step.set)) {
        this.vars[name] = renderValue(template, scope.ctx).value;
        names.push(name);
      }
      return { attempts: 0, output: `set ${names.join(', ')}` };
    }
    if ('if' in step) {
      const cond = isTruthy(evaluateExpression(step.if, scope.ctx));
      const branch = cond ? step.then : (step.else ?? []);
      await this.runSteps(branch, scope, `${path}.${cond ? 'then' : 'else'}`);
      return { attempts: 0, output: cond ? 'then' : 'else' };
    }
    if ('for_each' in step) {
      return this.forEach(step, scope, path);
    }
    if ('delay' in step) {
      const ms =
        typeof step.delay === 'string'
          ? durationOf(step.delay, scope.ctx)
          : Date.parse(String(renderTemplate(step.delay.until, scope.ctx))) - this.rt.now();
      if (Number.isNaN(ms)) throw new RunFailed(`step ${path}: delay until is not a timestamp`);
      if (ms > 0) await this.rt.sleep(ms, path, step.id);
      return { attempts: 0, output: `waited ${Math.max(0, Math.round(ms / 1000))} s` };
    }
    if ('wait_for' in step) {
      const w = step.wait_for;
      const events = Array.isArray(w.event) ? w.event : [w.event];
      const source = w.source ?? this.event.source;
      const match = w.match;
      const accepts = (ev: TriggerEvent): boolean => {
        if (ev.source !== source || !events.some((p) => globMatches(p, ev.type))) return false;
        if (!match) return true;
        // In `match`, `event` is the incoming event; everything else is this run's.
        const ctx = { ...scope.ctx, event: ev.body, incoming: { headers: ev.headers, query: ev.query, trigger: { source: ev.source, type: ev.type, id: ev.id, received_at: ev.received_at } } };
        try {
          return isTruthy(evaluateExpression(match, ctx));
        } catch {
          return false;
        }
      };
      const timeoutMs = durationOf(w.timeout, scope.ctx);
      const got = await this.rt.waitFor({ source, events, accepts, stepPath: path, stepId: step.id }, timeoutMs);
      const result: Json = got
        ? { source: got.source, type: got.type, id: got.id, received_at: got.received_at, body: got.body, headers: got.headers }
        : null;
      return { result, attempts: 0, output: got ? `received ${got.type} ${got.id}` : `timed out after ${formatMs(timeoutMs)}` };
    }
    if ('fail' in step) {
      throw new RunFailed(String(renderTemplate(step.fail, scope.ctx) ?? 'failed'));
    }
    throw new RunFailed(`step ${path}: unknown step kind`);
  }

  private async forEach(
    step: Extract<Step, { for_each: string }>,
    scope: Scope,
    path: string,
  ): Promise<{ result: Json; attempts: number; output: string }> {
    const list = evaluateExpression(step.for_each, scope.ctx);
    if (!Array.isArray(list)) throw new RunFailed(`step ${path}: for_each must give a list, got ${list === null ? 'null' : typeof list}`);
    const as = step.as ?? 'item';
    const results: Json[] = new Array<Json>(list.length).fill(null);
    const concurrency = Math.max(1, step.concurrency ?? 1);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < list.length) {
        const index = next++;
        const steps: Record<string, Json> = { ...scope.steps };
        const inner: Scope = {
          steps,
          prefix: `${path}[${index}].`,
          ctx: { ...scope.ctx, steps, [as]: list[index] ?? null, index },
        };
        await this.runSteps(step.steps, inner, 'steps');
        const own: JsonObject = {};
        for (const [k, v] of Object.entries(steps)) if (!(k in scope.steps) || scope.steps[k] !== v) own[k] = v;
        results[index] = own;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, worker));
    return { result: results, attempts: 0, output: `${list.length} iteration(s)` };
  }
}

/** Convenience: run a recipe to its result. */
export function interpret(recipe: Recipe, event: TriggerEvent, rt: StepRuntime): Promise<RunResult> {
  return new Interpreter(recipe, event, rt).run();
}
