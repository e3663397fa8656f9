// The activities behind `wait_for`: they record a run's wait in the intake journal, where the
// dispatcher finds it for each new delivery of its source and type. A delivery that came earlier in
// the run (since its trigger) is found here, in the journal's backlog, so no event is missed
// whether it arrives before, during or after the wait is recorded.
import type { WaitActivities, WaitRecord } from '../core/runtime-contract.js';
import { waitAccepts } from '../core/waits.js';
import type { Journal } from '../intake/journal.js';

/** How far back a wait looks in its source's deliveries (since the run began), at most. */
const BACKLOG_LIMIT = 50_000;

export function createWaitActivities(journal: () => Promise<Journal>): WaitActivities {
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
  };
}
