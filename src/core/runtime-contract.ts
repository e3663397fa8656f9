// What the workflow and the worker agree on: activity names and shapes, workflow and signal names.
// PURE (imported by the workflow sandbox).
import type { LoopChunk } from './loops.js';
import type { Json, OutboundInput, Recipe, TriggerEvent } from './types.js';
import type { WaitCriteria } from './waits.js';

export const RUN_WORKFLOW = 'runRecipe';
/** A chunk of a long loop's iterations, run as a child workflow of the run. */
export const LOOP_CHUNK_WORKFLOW = 'runLoopChunk';

export interface LoopChunkInput {
  recipe: Recipe;
  event: TriggerEvent;
  chunk: LoopChunk;
  /** The run's rate-limited hosts (RunInput.limitedHosts). */
  limitedHosts?: string[];
}
/** dispatcher → run: the event that satisfies one of its waits. */
export const WAKE_SIGNAL = 'hookflow.wake';

export interface Wake {
  waitId: string;
  event: TriggerEvent;
}

/** A `wait_for` as the run records it in the journal (see src/intake/journal.ts WaitSubscription). */
export interface WaitRecord extends WaitCriteria {
  id: string;
  workflowId: string;
  /** ms: events received before the run's own trigger are not for it. */
  since: number;
  /** ms: when the wait times out. */
  expiresAt: number;
}

/** The activities behind the journal: record a `wait_for` (answering at once from the backlog if it can) and close it; emit an event of the built-in `hookflow` source. */
export interface JournalActivities {
  waitSubscribe(wait: WaitRecord): Promise<{ event: TriggerEvent | null }>;
  waitCancel(waitId: string): Promise<{ event: TriggerEvent | null }>;
  /** Journals an event of the `hookflow` source (e.g. `run.failed`); the dispatcher matches it to recipes. */
  emitEvent(event: TriggerEvent): Promise<void>;
}

/** The built-in source of hookflow's own events (`run.failed`). */
export const HOOKFLOW_SOURCE = 'hookflow';
/** A schedule's fires: `trigger.source` and `trigger.type` of a run started by `on.schedule`. */
export const SCHEDULE_SOURCE = 'schedule';
export const SCHEDULE_EVENT = 'fire';

/** run → webhook: the `respond` answer once the `after` step has a result (update), and the same as a query. */
export const RESPOND_UPDATE = 'hookflow.respond';
export const RESPONSE_QUERY = 'hookflow.response';

/** Each outbound activity answers its result and the attempt that produced it (for the run record). */
export interface Attempted<T = Json> {
  result: T;
  attempt: number;
}

export interface OutboundActivities {
  http(input: OutboundInput<unknown>): Promise<Attempted>;
  email(input: OutboundInput<unknown>): Promise<Attempted>;
  sms(input: OutboundInput<unknown>): Promise<Attempted>;
  push(input: OutboundInput<unknown>): Promise<Attempted>;
}

/** `<recipe>/<source>/<delivery id>` — the dedupe key of a run. */
export function runWorkflowId(recipe: string, source: string, deliveryId: string): string {
  return `${recipe}/${source}/${deliveryId}`;
}
