// The run workflow: runs a recipe snapshot against the event that started it.
// Thin and deterministic: it imports only src/core (pure) and @temporalio/workflow.
import { allHandlersFinished, ApplicationFailure, condition, defineQuery, defineUpdate, setHandler, workflowInfo } from '@temporalio/workflow';
import { triggerOf } from '../src/core/event-context.js';
import { Interpreter, interpret } from '../src/core/interpreter.js';
import type { LoopChunkResult } from '../src/core/loops.js';
import type { ResponseOutcome } from '../src/core/respond.js';
import { HOOKFLOW_SOURCE, RESPOND_UPDATE, RESPONSE_QUERY, SCHEDULE_SOURCE, type LoopChunkInput } from '../src/core/runtime-contract.js';
import type { RunInput, RunResult, TriggerEvent } from '../src/core/types.js';
import { durableRuntime, journal } from './runtime.js';

/** The webhook of a recipe with `respond.after` waits on this for the answer. */
export const respondUpdate = defineUpdate<ResponseOutcome>(RESPOND_UPDATE);
/** The same answer, for a provider's retry of that webhook (or null while the step has none yet). */
export const responseQuery = defineQuery<ResponseOutcome | null>(RESPONSE_QUERY);

/** Set by Temporal Schedules on the runs they start: the fire's scheduled time. */
const SCHEDULED_START = { name: 'TemporalScheduledStartTime', type: 'DATETIME' } as const;

/** A schedule's fire is its own event: its id and time are the fire's scheduled time. */
function fireOf(input: RunInput): RunInput {
  if (input.event.source !== SCHEDULE_SOURCE) return input;
  const info = workflowInfo();
  const at = (info.typedSearchAttributes.get(SCHEDULED_START) ?? info.startTime).toISOString();
  return { ...input, event: { ...input.event, id: at, received_at: at } };
}

export async function runRecipe(original: RunInput): Promise<RunResult> {
  const input = fireOf(original);
  const { recipe } = input;
  let answer: ResponseOutcome | undefined;
  let ended = false;
  if (recipe.respond?.after !== undefined) {
    const after = recipe.respond.after;
    setHandler(respondUpdate, async (): Promise<ResponseOutcome> => {
      await condition(() => answer !== undefined || ended);
      return answer ?? { fallback: true, reason: `the run ended before its step "${after}" had a result` };
    });
    setHandler(responseQuery, () => answer ?? null);
  }
  const rt = durableRuntime(recipe, input.event, input.limitedHosts);
  rt.respond = (outcome) => {
    answer ??= outcome;
  };
  const result = await interpret(recipe, input.event, rt, input.events);
  ended = true;
  await condition(allHandlersFinished);
  if (result.status === 'failed') {
    // Every run that fails for good emits `run.failed` on the built-in source — except runs that an
    // event of that source started (an alert recipe that fails must not alert on itself forever).
    if (input.event.source !== HOOKFLOW_SOURCE) await journal.emitEvent(runFailedEvent(input, result));
    throw ApplicationFailure.create({ type: 'RunFailed', message: result.error ?? 'run failed', nonRetryable: true, details: [result] });
  }
  return result;
}

function runFailedEvent(input: RunInput, result: RunResult): TriggerEvent {
  const info = workflowInfo();
  const at = new Date(Date.now()).toISOString();
  return {
    source: HOOKFLOW_SOURCE,
    type: 'run.failed',
    id: `${info.workflowId}/${info.runId}`,
    received_at: at,
    body: {
      recipe: input.recipe.name,
      workflow_id: info.workflowId,
      run_id: info.runId,
      trigger: triggerOf(input.event),
      error: result.failure
        ? { step: result.failure.step, message: result.failure.message, attempts: result.failure.attempts }
        : { step: '', message: result.error ?? 'run failed', attempts: 0 },
      ...(input.replayOf ? { replay_of: input.replayOf } : {}),
    },
    headers: {},
    query: {},
  };
}

/** A chunk of a long `for_each`, run as a child of the run (see src/core/loops.ts). */
export async function runLoopChunk(input: LoopChunkInput): Promise<LoopChunkResult> {
  return new Interpreter(input.recipe, input.event, durableRuntime(input.recipe, input.event, input.limitedHosts)).runChunk(input.chunk);
}
