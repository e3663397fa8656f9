// Flow control (spec §7): `concurrency`, `throttle`, `debounce` and `batch` on a recipe. The runs of
// such a recipe are not started directly: each event goes by signal-with-start to one entity
// workflow per (recipe, key) — `hookflow/<recipe>/~flow/<hash of key>` — which groups, spaces and
// queues them and starts the runs as its children (workflows/flow-control.ts). What the client and
// that workflow agree on lives here. PURE (imported by the workflow sandbox).
import { parseDuration } from './duration.js';
import { eventContext } from './event-context.js';
import { evaluateExpression } from './expr.js';
import type { Recipe, TriggerEvent } from './types.js';

export const FLOW_WORKFLOW = 'flowControl';
/** client → entity: one event for the recipe's runs. */
export const FLOW_SIGNAL = 'hookflow.flow.event';
/** The entity's state, for tests, the CLI and anyone asking. */
export const FLOW_STATE_QUERY = 'hookflow.flow.state';

/** The flow-control settings of a recipe, resolved to milliseconds. */
export interface FlowSettings {
  /** CEL over the event (shared by every control of the recipe; see the loader); undefined: one key. */
  key?: string;
  concurrency?: number;
  /** Minimum spacing of run starts (throttle: period / limit). */
  spacingMs?: number;
  debounce?: { periodMs: number; maxWaitMs?: number };
  batch?: { size: number; timeoutMs: number };
}

export function hasFlowControl(recipe: Recipe): boolean {
  return recipe.concurrency !== undefined || recipe.throttle !== undefined || recipe.debounce !== undefined || recipe.batch !== undefined;
}

/** The recipe's settings (the loader has checked them: one key for all, debounce xor batch). */
export function flowSettings(recipe: Recipe): FlowSettings {
  const key = recipe.concurrency?.key ?? recipe.throttle?.key ?? recipe.debounce?.key ?? recipe.batch?.key;
  return {
    ...(key !== undefined ? { key } : {}),
    ...(recipe.concurrency ? { concurrency: recipe.concurrency.limit } : {}),
    ...(recipe.throttle ? { spacingMs: parseDuration(recipe.throttle.period) / recipe.throttle.limit } : {}),
    ...(recipe.debounce
      ? {
          debounce: {
            periodMs: parseDuration(recipe.debounce.period),
            ...(recipe.debounce.max_wait ? { maxWaitMs: parseDuration(recipe.debounce.max_wait) } : {}),
          },
        }
      : {}),
    ...(recipe.batch ? { batch: { size: recipe.batch.size, timeoutMs: parseDuration(recipe.batch.timeout) } } : {}),
  };
}

/** The event's key as text (its JSON); '' when the recipe declares none. Throws on a CEL error. */
export function flowKeyOf(recipe: Recipe, event: TriggerEvent): string {
  const key = flowSettings(recipe).key;
  if (key === undefined) return '';
  const value = evaluateExpression(key, eventContext(event));
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `hookflow/<recipe>/~flow/<hash>`: the hash (of the key text) is computed by the caller. */
export function flowWorkflowId(recipe: string, keyHash: string): string {
  return `hookflow/${recipe}/~flow/${keyHash}`;
}

/** One event on its way to a run: the run it would have had (its workflow id is the dedupe key). */
export interface FlowArrival {
  recipe: Recipe;
  event: TriggerEvent;
  /** `<recipe>/<source>/<delivery id>` (or a replay's id): a repeat of one is counted once. */
  workflowId: string;
  replayOf?: string;
  limitedHosts?: string[];
}

/** A run waiting for its turn: one event, or a debounced burst / a batch (`events`). */
export interface FlowRun {
  recipe: Recipe;
  event: TriggerEvent;
  events?: TriggerEvent[];
  workflowId: string;
  replayOf?: string;
  limitedHosts?: string[];
}

/** What the entity carries over continue-as-new. */
export interface FlowState {
  /** Events of the burst / batch being gathered, in arrival order. */
  group: FlowArrival[];
  /** Workflow time (ms) of the group's first and last event. */
  groupFirstAt?: number;
  groupLastAt?: number;
  /** Runs waiting for a concurrency slot or their throttle turn, in arrival order. */
  queue: FlowRun[];
  /** Workflow time of the last run start (throttle). */
  lastStartAt?: number;
  /** Recent arrivals' workflow ids (bounded): a provider's retry of one is not counted again. */
  seen: string[];
  /** Workflow ids of the runs started, most recent last (bounded). */
  started: string[];
  /** Runs started since the entity was created. */
  startedTotal: number;
}

export interface FlowInput {
  recipe: string;
  /** The key's text, for people reading the Temporal UI. */
  key: string;
  state?: FlowState;
}

/** The entity's answer to FLOW_STATE_QUERY. */
export interface FlowView {
  status: string;
  gathering: number;
  waiting: number;
  running: number;
  started: string[];
  startedTotal: number;
}

/** How many arrival ids the entity remembers for dedupe, and how many started run ids it shows. */
export const FLOW_SEEN_MAX = 2_000;
export const FLOW_STARTED_MAX = 100;

/** A run's input from a queued run: events only for debounced / batched runs. */
export function runOf(group: FlowArrival[]): FlowRun {
  const first = group[0]!;
  const last = group[group.length - 1]!;
  // The run takes the workflow id of its first event's run, and the recipe as the last event found it.
  return {
    recipe: last.recipe,
    event: last.event,
    events: group.map((a) => a.event),
    workflowId: first.workflowId,
    ...(first.replayOf ? { replayOf: first.replayOf } : {}),
    ...(last.limitedHosts ? { limitedHosts: last.limitedHosts } : {}),
  };
}

/** One line for the Temporal UI and the state query: `batching 2/3`, `waiting: 4 queued`, `idle`. */
export function describeFlow(settings: FlowSettings, s: FlowState, running: number): string {
  const parts: string[] = [];
  if (s.group.length > 0) {
    if (settings.batch) parts.push(`batching ${s.group.length}/${settings.batch.size}`);
    else parts.push(`debouncing ${s.group.length} event${s.group.length === 1 ? '' : 's'}`);
  }
  if (s.queue.length > 0) parts.push(`waiting: ${s.queue.length} queued`);
  if (running > 0) parts.push(`${running} running`);
  return parts.length > 0 ? parts.join(', ') : 'idle';
}
