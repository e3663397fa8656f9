// What expressions see of the event a run is about: one definition for filters (`on.if`), flow
// keys, `respond`, the run's steps, `wait_for`'s `incoming` and the `run.failed` event. PURE.
import type { TriggerEvent } from './types.js';

/** `trigger` in expressions: where the event came from, what it is, and when it arrived. */
export type Trigger = { source: string; type: string; id: string; received_at: string };

export function triggerOf(event: TriggerEvent): Trigger {
  return { source: event.source, type: event.type, id: event.id, received_at: event.received_at };
}

/** `event` (the body), `headers`, `query` and `trigger`: the variables every expression about an event has. */
export function eventContext(event: TriggerEvent): {
  event: TriggerEvent['body'];
  headers: TriggerEvent['headers'];
  query: TriggerEvent['query'];
  trigger: Trigger;
} {
  return { event: event.body, headers: event.headers, query: event.query, trigger: triggerOf(event) };
}
