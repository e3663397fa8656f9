// The durable StepRuntime: what the interpreter's effects become inside a Temporal workflow —
// activities for outbound steps, timers for delays, journal waits + a signal for wait_for, child
// workflows for the chunks of long loops. Shared by the run workflow and the loop-chunk workflow.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  executeChild,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { StepFailure, type ActivityCall, type StepRuntime, type WaitSpec } from '../src/core/interpreter.js';
import type { LoopChunk, LoopChunkResult } from '../src/core/loops.js';
import { LOOP_CHUNK_WORKFLOW, type LoopChunkInput, type OutboundActivities, type JournalActivities } from '../src/core/runtime-contract.js';
import type { Recipe, TriggerEvent } from '../src/core/types.js';
import { hostOfUrl, rateQueue } from '../src/core/outbound-rates.js';
import { wakeSignal } from './signals.js';

// The journal activities are short database calls: local activities (a marker each in the history).
// A journal that stays unreachable fails the step after ~10 minutes of retries, with the reason.
export const journal = proxyLocalActivities<JournalActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s', maximumAttempts: 15 },
});

/** An http step to a host under HOOKFLOW_OUTBOUND_RATE runs on that host's rate-limited task queue. */
function outboundQueue(c: ActivityCall, taskQueue: string, limitedHosts: string[] | undefined): { taskQueue?: string } {
  if (c.kind !== 'http' || !limitedHosts?.length) return {};
  const host = hostOfUrl((c.params as { url?: unknown } | null)?.url);
  return host !== undefined && limitedHosts.includes(host) ? { taskQueue: rateQueue(taskQueue, host) } : {};
}

function failureMessage(err: unknown): { message: string; attempts: number } {
  let e: unknown = err;
  if (e instanceof ActivityFailure && e.cause) e = e.cause;
  const message = e instanceof Error ? e.message : String(e);
  let attempts = 1;
  if (e instanceof ApplicationFailure) {
    const d = e.details?.[0] as { attempt?: number } | undefined;
    if (d && typeof d.attempt === 'number') attempts = d.attempt;
  }
  return { message, attempts };
}

/** The runtime of one workflow execution running `recipe` for `event` (call once per execution). */
export function durableRuntime(recipe: Recipe, event: TriggerEvent, limitedHosts?: string[]): StepRuntime {
  const info = workflowInfo();
  // Events handed over by the dispatcher, by wait id (the first one wins; a repeat is ignored).
  const woken = new Map<string, TriggerEvent>();
  setHandler(wakeSignal, ({ waitId, event: ev }) => {
    if (!woken.has(waitId)) woken.set(waitId, ev);
  });
  let waitCount = 0;

  return {
    now: () => Date.now(),
    onStep(path, kind) {
      setCurrentDetails(`step ${path} (${kind})`);
    },
    async sleep(ms, stepPath) {
      await sleep(ms, { summary: `delay ${stepPath}` });
    },
    async call(c: ActivityCall) {
      const options = {
        startToCloseTimeout: c.timeoutMs,
        retry: {
          maximumAttempts: c.retry.maximumAttempts,
          initialInterval: c.retry.initialIntervalMs,
          backoffCoefficient: c.retry.backoffCoefficient,
          maximumInterval: c.retry.maximumIntervalMs,
        },
        summary: c.summary,
      };
      // A rate-limited host's steps go through its own task queue, so they must be regular
      // activities (a local activity never passes a task queue's rate limit).
      const queue = outboundQueue(c, info.taskQueue, limitedHosts);
      // Local: the worker retries in place (a backoff over a minute becomes a workflow timer).
      const acts =
        c.mode === 'local' && queue.taskQueue === undefined
          ? proxyLocalActivities<OutboundActivities>(options)
          : proxyActivities<OutboundActivities>({ ...options, ...queue });
      try {
        const out = await acts[c.kind]({
          // The run's workflow id, also inside a loop chunk: it keys the Idempotency-Key.
          workflowId: runWorkflowIdOf(info.workflowId),
          stepPath: c.stepPath,
          params: c.params as never,
          secretFields: c.secretFields,
          context: { recipe: recipe.name, source: event.source, event_id: event.id },
          maxAttempts: c.retry.maximumAttempts,
        });
        return { result: out.result, attempts: out.attempt };
      } catch (err) {
        const { message, attempts } = failureMessage(err);
        throw new StepFailure(message, attempts);
      }
    },
    async waitFor(spec: WaitSpec, timeoutMs: number) {
      // The wait is recorded in the intake journal, which answers at once with an event that came
      // earlier in the run, or later hands the first matching delivery over by signal.
      const waitId = `${info.runId}:${spec.stepPath}:${waitCount++}`;
      const { event: early } = await journal.waitSubscribe({
        id: waitId,
        workflowId: info.workflowId,
        source: spec.source,
        events: spec.events,
        ...(spec.match ? { match: spec.match } : {}),
        context: spec.context,
        since: Date.parse(event.received_at),
        expiresAt: Date.now() + timeoutMs,
      });
      if (early) return early;
      const ok = await condition(() => woken.has(waitId), timeoutMs, { summary: `wait_for ${spec.events.join(' | ')} (${spec.stepPath})` });
      if (ok) return woken.get(waitId) ?? null;
      // Timed out: close the wait — unless an event won it at the last moment, which then counts.
      const late = await journal.waitCancel(waitId);
      return late.event ?? woken.get(waitId) ?? null;
    },
    async runLoopChunk(chunk: LoopChunk): Promise<LoopChunkResult> {
      const last = chunk.offset + chunk.items.length - 1;
      return executeChild<(input: LoopChunkInput) => Promise<LoopChunkResult>>(LOOP_CHUNK_WORKFLOW, {
        workflowId: `${info.workflowId}${CHUNK_SEPARATOR}${chunk.path}#${chunk.index}`,
        args: [{ recipe, event, chunk, ...(limitedHosts ? { limitedHosts } : {}) }],
        staticSummary: `${recipe.name}: loop ${chunk.path}, items ${chunk.offset}–${last}`,
      });
    },
  };
}

/** Loop chunks are child workflows `<run workflow id>/~loop/<path>#<n>`. */
const CHUNK_SEPARATOR = '/~loop/';

function runWorkflowIdOf(workflowId: string): string {
  const at = workflowId.indexOf(CHUNK_SEPARATOR);
  return at < 0 ? workflowId : workflowId.slice(0, at);
}
