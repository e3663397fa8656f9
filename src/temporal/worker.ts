// The hookflow worker: runs the interpreter workflow and the outbound activities.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { gatherAttemptFacts } from '../activities/attempt-facts.js';
import type { Attempted, OutboundActivities, JournalActivities } from '../core/runtime-contract.js';
import type { OutboundInput } from '../core/types.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// `.ts` when run from source (tsx), `.js` from the compiled build (`npm run build`, dist/): the
// workflows are bundled from whichever sits beside this file.
const EXT = path.extname(fileURLToPath(import.meta.url));
const WORKFLOWS_ENTRY = path.join(ROOT, 'workflows', `index${EXT}`);

type RawActivity = (input: OutboundInput<never>) => Promise<unknown>;

/**
 * Wraps an outbound activity so its result says which attempt produced it, and its failure
 * carries the attempt number too: the run record shows attempts for every step.
 */
export function withAttempt(kind: string, fn: RawActivity, metrics?: Metrics, logger?: Logger): (input: OutboundInput<unknown>) => Promise<Attempted> {
  return async (input) => {
    const attempt = Context.current().info.attempt;
    const stopTimer = metrics?.stepSeconds.startTimer({ kind });
    const log = logger?.child({ ...input.context, workflowId: input.workflowId, step: input.stepPath, kind, attempt });
    // The one line of this attempt: what the activity noted (status, request, message id…) and its duration.
    const facts: Record<string, unknown> = {};
    const started = Date.now();
    try {
      const result = await gatherAttemptFacts(facts, () => fn(input as OutboundInput<never>));
      metrics?.stepAttempts.inc({ kind, outcome: 'ok' });
      log?.info({ ...facts, duration_ms: Date.now() - started }, 'step attempt succeeded');
      return { result: result as Attempted['result'], attempt };
    } catch (err) {
      // Final: an error not worth retrying, or the last attempt the step's retry policy allows.
      const lastAttempt = input.maxAttempts !== undefined && input.maxAttempts > 0 && attempt >= input.maxAttempts;
      const final = (err instanceof ApplicationFailure && err.nonRetryable) || lastAttempt;
      metrics?.stepAttempts.inc({ kind, outcome: final ? 'failed' : 'retry' });
      log?.warn(
        { ...facts, duration_ms: Date.now() - started, err: err instanceof Error ? err.message : String(err), final },
        final
          ? lastAttempt
            ? `step failed for good: attempt ${attempt} of ${input.maxAttempts}`
            : 'step attempt failed for good'
          : 'step attempt failed; Temporal retries it',
      );
      if (err instanceof ApplicationFailure) {
        throw ApplicationFailure.create({
          message: err.message,
          type: err.type ?? undefined,
          nonRetryable: err.nonRetryable ?? false,
          nextRetryDelay: err.nextRetryDelay ?? undefined,
          details: [{ attempt }, ...(err.details ?? [])],
        });
      }
      const message = err instanceof Error ? err.message : String(err);
      throw ApplicationFailure.create({ message, type: err instanceof Error ? err.name : 'Error', details: [{ attempt }] });
    } finally {
      stopTimer?.();
    }
  };
}

export function wrapActivities(raw: Record<keyof OutboundActivities, RawActivity>, metrics?: Metrics, logger?: Logger): OutboundActivities {
  return {
    http: withAttempt('http', raw.http, metrics, logger),
    email: withAttempt('email', raw.email, metrics, logger),
    sms: withAttempt('sms', raw.sms, metrics, logger),
    push: withAttempt('push', raw.push, metrics, logger),
  };
}

function hashTree(h: ReturnType<typeof createHash>, dir: string): void {
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) hashTree(h, p);
    else if (/\.(ts|js|json)$/.test(name)) h.update(p).update(readFileSync(p));
  }
}

/**
 * The workflow bundle, built once per version of the workflow code and cached in `.hookflow/`,
 * so a worker starts without running webpack (the samples' `production/` pattern).
 */
/**
 * Modules set up once per worker instead of once per run. Safe to share: src/core holds only pure
 * caches keyed by expression text, and cel-js's function library never changes after set-up
 * (docs/BENCHMARKS.md: −10 ms of CPU per run, e2e p50 75 → 41 ms).
 */
const PRELOADED = ['@marcbachmann/cel-js', ...['expr', 'template', 'glob', 'interpreter'].map((m) => path.join(ROOT, 'src', 'core', `${m}${EXT}`))];

export async function workflowBundle(home: string = ROOT): Promise<{ code: string }> {
  const h = createHash('sha256');
  h.update(JSON.stringify(PRELOADED));
  hashTree(h, path.join(ROOT, 'workflows'));
  hashTree(h, path.join(ROOT, 'src', 'core'));
  const lock = path.join(ROOT, 'package-lock.json');
  if (existsSync(lock)) h.update(readFileSync(lock));
  const dir = path.join(home, '.hookflow', 'bundles');
  const file = path.join(dir, `workflows-${h.digest('hex').slice(0, 16)}.js`);
  if (existsSync(file)) return { code: readFileSync(file, 'utf8') };
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_ENTRY, preloadModules: PRELOADED, logger: quietLogger });
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, file);
  return { code };
}

const noop = (): void => {};
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

export interface HookflowWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: OutboundActivities & JournalActivities;
  home?: string;
  dataConverter?: WorkerOptions['dataConverter'];
  tuning?: Partial<Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'maxCachedWorkflows'>>;
}

export async function createWorker(opts: HookflowWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle(opts.home),
    activities: opts.activities,
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
    // On SIGTERM, activities in flight get this long to finish before they are cancelled.
    shutdownGraceTime: '30s',
    ...opts.tuning,
  });
}
