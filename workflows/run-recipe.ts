// The one workflow of hookflow: runs a recipe snapshot against the event that started it.
// Thin and deterministic: it imports only src/core (pure) and @temporalio/workflow.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { interpret, StepFailure, type ActivityCall, type StepRuntime, type WaitSpec } from '../src/core/interpreter.js';
import type { OutboundActivities, WaitActivities } from '../src/core/runtime-contract.js';
import { wakeSignal } from './signals.js';
import type { RunInput, RunResult, TriggerEvent } from '../src/core/types.js';

// The wait activities are short database calls: local activities (a marker each in the history).
// A journal that stays unreachable fails the step after ~10 minutes of retries, with the reason.
const waits = proxyLocalActivities<WaitActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s', maximumAttempts: 15 },
});

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

export async function runRecipe(input: RunInput): Promise<RunResult> {
  const info = workflowInfo();
  // Events handed over by the dispatcher, by wait id (the first one wins; a repeat is ignored).
  const woken = new Map<string, TriggerEvent>();
  setHandler(wakeSignal, ({ waitId, event }) => {
    if (!woken.has(waitId)) woken.set(waitId, event);
  });
  let waitCount = 0;

  const rt: StepRuntime = {
    now: () => Date.now(),
    onStep(path, kind) {
      setCurrentDetails(`step ${path} (${kind})`);
    },
    async sleep(ms, stepPath) {
      await sleep(ms, { summary: `delay ${stepPath}` });
    },
    async call(c: ActivityCall) {
      const acts = proxyActivities<OutboundActivities>({
        startToCloseTimeout: c.timeoutMs,
        retry: {
          maximumAttempts: c.retry.maximumAttempts,
          initialInterval: c.retry.initialIntervalMs,
          backoffCoefficient: c.retry.backoffCoefficient,
          maximumInterval: c.retry.maximumIntervalMs,
        },
        summary: c.summary,
      });
      try {
        const out = await acts[c.kind]({
          workflowId: info.workflowId,
          stepPath: c.stepPath,
          params: c.params as never,
          secretFields: c.secretFields,
          context: { recipe: input.recipe.name, source: input.event.source, event_id: input.event.id },
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
      const { event } = await waits.waitSubscribe({
        id: waitId,
        workflowId: info.workflowId,
        source: spec.source,
        events: spec.events,
        ...(spec.match ? { match: spec.match } : {}),
        context: spec.context,
        since: Date.parse(input.event.received_at),
        expiresAt: Date.now() + timeoutMs,
      });
      if (event) return event;
      const ok = await condition(() => woken.has(waitId), timeoutMs, { summary: `wait_for ${spec.events.join(' | ')} (${spec.stepPath})` });
      if (ok) return woken.get(waitId) ?? null;
      // Timed out: close the wait — unless an event won it at the last moment, which then counts.
      const late = await waits.waitCancel(waitId);
      return late.event ?? woken.get(waitId) ?? null;
    },
  };

  const result = await interpret(input.recipe, input.event, rt);
  if (result.status === 'failed') {
    throw ApplicationFailure.create({ type: 'RunFailed', message: result.error ?? 'run failed', nonRetryable: true, details: [result] });
  }
  return result;
}
