// The one workflow of hookflow: runs a recipe snapshot against the event that started it.
// Thin and deterministic: it imports only src/core (pure) and @temporalio/workflow.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  defineQuery,
  getExternalWorkflowHandle,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { interpret, StepFailure, type ActivityCall, type StepRuntime, type WaitSpec } from '../src/core/interpreter.js';
import { mailboxId, type OutboundActivities } from '../src/core/runtime-contract.js';
import { waitsOf } from '../src/core/waits.js';
import { eventSignal, unsubscribeSignal } from './signals.js';
import type { RunInput, RunResult, TriggerEvent } from '../src/core/types.js';

/** What the run has received so far (for operators and tests). */
export const inboxQuery = defineQuery<Array<{ source: string; type: string; id: string }>>('hookflow.inbox');

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
  const inbox: TriggerEvent[] = [];
  const consumed = new Set<number>();
  // Events a later `wait_for` may need, buffered from the start of the run.
  setHandler(eventSignal, (ev) => {
    if (!inbox.some((e) => e.source === ev.source && e.id === ev.id && e.type === ev.type)) inbox.push(ev);
  });
  setHandler(inboxQuery, () => inbox.map((e) => ({ source: e.source, type: e.type, id: e.id })));

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
      let found = -1;
      const pick = (): boolean => {
        found = inbox.findIndex((e, i) => !consumed.has(i) && spec.accepts(e));
        return found >= 0;
      };
      const ok = await condition(pick, timeoutMs, { summary: `wait_for ${spec.events.join(' | ')} (${spec.stepPath})` });
      if (!ok) return null;
      consumed.add(found);
      return inbox[found] ?? null;
    },
  };

  const result = await interpret(input.recipe, input.event, rt);
  if (waitSources(input).length > 0) {
    // Tell the source's mailbox this run no longer listens (best effort: it also drops runs it cannot reach).
    try {
      for (const source of waitSources(input)) {
        await getExternalWorkflowHandle(mailboxId(info.taskQueue, source)).signal(unsubscribeSignal, info.workflowId);
      }
    } catch {
      /* mailbox gone: nothing to unsubscribe from */
    }
  }
  if (result.status === 'failed') {
    throw ApplicationFailure.create({ type: 'RunFailed', message: result.error ?? 'run failed', nonRetryable: true, details: [result] });
  }
  return result;
}

function waitSources(input: RunInput): string[] {
  return [...waitsOf(input.recipe).keys()];
}
