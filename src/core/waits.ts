// `wait_for`: which incoming event a waiting run wants. One definition, used inside the run (tests'
// recording runtime), by the wait activity scanning the journal's backlog, and by the dispatcher
// routing new deliveries. PURE.
import { triggerOf } from './event-context.js';
import { compileExpression, evaluateExpression, isTruthy } from './expr.js';
import { globMatches } from './glob.js';
import type { Json, TriggerEvent } from './types.js';

/** What a wait needs to judge an event: its patterns, its `match`, and the run's values `match` reads. */
export interface WaitCriteria {
  source: string;
  events: string[];
  match?: string;
  context: Record<string, Json>;
}

/** In `match`, `event` is the incoming event; `incoming` its headers, query and trigger; the rest is the run's. */
export function matchContext(context: Record<string, unknown>, ev: TriggerEvent): Record<string, unknown> {
  return {
    ...context,
    event: ev.body,
    incoming: { headers: ev.headers, query: ev.query, trigger: triggerOf(ev) },
  };
}

/** Is this the event the wait is for? A `match` that fails to evaluate on an event says no. */
export function waitAccepts(w: WaitCriteria, ev: TriggerEvent): boolean {
  if (ev.source !== w.source || !w.events.some((p) => globMatches(p, ev.type))) return false;
  if (!w.match) return true;
  try {
    return isTruthy(evaluateExpression(w.match, matchContext(w.context, ev)));
  } catch {
    return false;
  }
}

/**
 * The run's values a `match` expression reads (its top-level variables other than `event` and
 * `incoming`), captured when the wait begins: what the journal stores with the wait.
 */
export function captureContext(match: string | undefined, ctx: Record<string, unknown>): Record<string, Json> {
  if (!match) return {};
  const out: Record<string, Json> = {};
  for (const name of compileExpression(match).variables) {
    if (name === 'event' || name === 'incoming' || !(name in ctx)) continue;
    out[name] = (ctx[name] ?? null) as Json;
  }
  return out;
}
