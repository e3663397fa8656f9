// One long-lived workflow per task queue and source (`hookflow-mailbox/<queue>/<source>`) that makes `wait_for` race-free:
// the ingress signals it every event some recipe waits for, and subscribes each run that waits
// before acknowledging the run's webhook. It forwards events to subscribed runs, and keeps a short
// window of recent events so an event that overtakes a subscription is still delivered.
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setHandler,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import { globMatches } from '../src/core/glob.js';
import type { Subscription } from '../src/core/runtime-contract.js';
import type { TriggerEvent } from '../src/core/types.js';
import { eventSignal, subscribeSignal, unsubscribeSignal } from './signals.js';

export interface MailboxState {
  subs: Subscription[];
  recent: TriggerEvent[];
}

const RECENT_WINDOW_MS = 15 * 60_000;
const RECENT_MAX_BYTES = 512 * 1024;
/** Tolerated clock difference between ingress processes when comparing received_at. */
const SKEW_MS = 5_000;
const IDLE_MS = 60 * 60_000;

export async function mailbox(state: MailboxState = { subs: [], recent: [] }): Promise<void> {
  const subs = new Map(state.subs.map((s) => [s.workflowId, s]));
  let recent = state.recent;
  const outbox: Array<{ to: string; ev: TriggerEvent }> = [];
  let lastActivity = Date.now();

  const wants = (s: Subscription, ev: TriggerEvent): boolean =>
    Date.parse(ev.received_at) >= Date.parse(s.since) - SKEW_MS && s.events.some((p) => globMatches(p, ev.type));

  const trim = (): void => {
    const cutoff = Date.now() - RECENT_WINDOW_MS;
    recent = recent.filter((e) => Date.parse(e.received_at) >= cutoff);
    let bytes = 0;
    for (let i = recent.length - 1; i >= 0; i--) {
      bytes += JSON.stringify(recent[i]).length;
      if (bytes > RECENT_MAX_BYTES) {
        recent = recent.slice(i + 1);
        break;
      }
    }
  };

  setHandler(subscribeSignal, (s) => {
    lastActivity = Date.now();
    subs.set(s.workflowId, s);
    for (const ev of recent) if (wants(s, ev)) outbox.push({ to: s.workflowId, ev });
  });
  setHandler(unsubscribeSignal, (id) => {
    lastActivity = Date.now();
    subs.delete(id);
  });
  setHandler(eventSignal, (ev) => {
    lastActivity = Date.now();
    if (recent.some((e) => e.id === ev.id && e.type === ev.type)) return; // a provider's retry
    recent.push(ev);
    trim();
    for (const s of subs.values()) if (wants(s, ev)) outbox.push({ to: s.workflowId, ev });
  });

  for (;;) {
    const woke = await condition(() => outbox.length > 0 || workflowInfo().continueAsNewSuggested, IDLE_MS);
    while (outbox.length > 0) {
      const batch = outbox.splice(0, outbox.length);
      await Promise.all(
        batch.map(async ({ to, ev }) => {
          try {
            await getExternalWorkflowHandle(to).signal(eventSignal, ev);
          } catch {
            subs.delete(to); // the run has ended: nobody to deliver to
          }
        }),
      );
    }
    if (!woke && subs.size === 0 && Date.now() - lastActivity >= IDLE_MS) {
      await condition(allHandlersFinished);
      return; // idle: the next signal-with-start begins a fresh mailbox
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      trim();
      await continueAsNew<typeof mailbox>({ subs: [...subs.values()], recent });
    }
  }
}
