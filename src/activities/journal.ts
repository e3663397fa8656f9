// The activities that write to the intake journal from a run.
// - `wait_for`: they record a run's wait, where the dispatcher finds it for each new delivery of its
//   source and type. A delivery that came earlier in the run (since its trigger) is found here, in
//   the journal's backlog, so no event is missed whether it arrives before, during or after the
//   wait is recorded.
// - `emitEvent`: an event of the built-in `hookflow` source (`run.failed`), journaled like a
//   webhook; the dispatcher matches it to the recipes (the worker need not have them loaded).
import type { JournalActivities, WaitRecord } from '../core/runtime-contract.js';
import type { TriggerEvent } from '../core/types.js';
import { waitAccepts } from '../core/waits.js';
import type { Journal } from '../intake/journal.js';
import { newRequestId } from '../intake/request-id.js';

/** How far back a wait looks in its source's deliveries (since the run began), at most. */
const BACKLOG_LIMIT = 50_000;

export function createJournalActivities(journal: () => Promise<Journal>): JournalActivities {
  return {
    async waitSubscribe(wait: WaitRecord) {
      const j = await journal();
      const { afterSeq } = await j.subscribe(wait);
      for (const d of await j.backlog(wait, afterSeq, BACKLOG_LIMIT)) {
        if (!waitAccepts(wait, d.event)) continue;
        // The first matching delivery is the answer, unless the dispatcher handed the run a later
        // one in the meantime (its signal is on the way): then the run waits for that signal.
        return { event: (await j.claimWait(wait.id, d.seq)) ? d.event : null };
      }
      return { event: null };
    },
    async waitCancel(waitId: string) {
      return { event: await (await journal()).cancelWait(waitId) };
    },
    async emitEvent(event: TriggerEvent) {
      const receivedAt = Date.parse(event.received_at);
      const body = Buffer.from(JSON.stringify(event.body));
      // The delivery key is the event id: a retried activity journals it once.
      await (
        await journal()
      ).accept({
        request: {
          id: newRequestId(receivedAt),
          receivedAt,
          source: event.source,
          method: 'EMIT',
          path: `(hookflow) ${event.type}`,
          headers: {},
          body,
          bodySize: body.length,
          verdict: 'accepted',
          status: 202,
          event: { type: event.type, id: event.id },
        },
        event,
        deliveryKey: event.id,
        runs: [],
        deferMatch: true,
      });
    },
  };
}
