// What the workflow and the worker agree on: activity names and shapes, workflow and signal names.
// PURE (imported by the workflow sandbox).
import type { Json, OutboundInput } from './types.js';

export const RUN_WORKFLOW = 'runRecipe';
export const MAILBOX_WORKFLOW = 'mailbox';
export const EVENT_SIGNAL = 'hookflow.event';
export const SUBSCRIBE_SIGNAL = 'hookflow.subscribe';
export const UNSUBSCRIBE_SIGNAL = 'hookflow.unsubscribe';

/** A run's subscription to its source's mailbox, made by the ingress before the webhook is acknowledged. */
export interface Subscription {
  workflowId: string;
  /** Event-type patterns the run's wait_for steps listen to. */
  events: string[];
  /** received_at of the run's own trigger: earlier events are not for it. */
  since: string;
}

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

/**
 * The per-source workflow that forwards later events to runs waiting in `wait_for`. One per task
 * queue: deployments sharing a namespace on different queues keep their own.
 */
export function mailboxId(taskQueue: string, source: string): string {
  return `hookflow-mailbox/${taskQueue}/${source}`;
}

/** `<recipe>/<source>/<delivery id>` — the dedupe key of a run. */
export function runWorkflowId(recipe: string, source: string, deliveryId: string): string {
  return `${recipe}/${source}/${deliveryId}`;
}
