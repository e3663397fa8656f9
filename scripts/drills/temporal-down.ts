// Temporal stopped during load: the dev server (SQLite file) is killed while events arrive, and
// restarted on the same port. Every request must be answered 2xx with its run present after the
// restart, or 503 — never 2xx without a run — and every accepted run must complete.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isOk, openLoop, sleep, startCountingSink, startTemporal, type TemporalServer } from '../../bench/lib.js';
import { drillResult, hookflow, relayRecipes, runStatuses, sample, waitForCompletion, type DrillResult } from './common.js';

export async function temporalDown(events = 400, rate = 25): Promise<DrillResult> {
  const dbFile = path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-drill-')), 'temporal.db');
  let temporal: TemporalServer = await startTemporal({ dbFile });
  const port = temporal.port;
  const address = temporal.address;
  const sink = await startCountingSink();
  const hf = await hookflow('start', { RECIPES_DIR: relayRecipes(sink.url), TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: `drill-down-${Date.now().toString(36)}` });
  const problems: string[] = [];
  try {
    const durationMs = (events / rate) * 1000;
    const tag = Date.now().toString(36);
    let downAt = 0;
    let upAt = 0;
    const outage = (async () => {
      await sleep(durationMs * 0.25);
      await temporal.crash();
      downAt = Date.now();
      await sleep(6000);
      temporal = await startTemporal({ dbFile, port });
      upAt = Date.now();
      return upAt - downAt;
    })();
    const { sent } = await openLoop({ url: `${hf.url}/hooks/bench`, rate, durationMs, idPrefix: tag });
    const downMs = await outage;
    const accepted = sent.filter((e) => isOk(e.status)).map((e) => e.id);
    const refused503 = sent.filter((e) => e.status === 503).map((e) => e.id);
    // Seconds from the restart to the first request (sent after it) answered 2xx.
    const firstOkAfter = sent.find((e) => e.t0 >= upAt && isOk(e.status));
    const okAfterRestart = sent.filter((e) => e.t0 >= upAt && isOk(e.status)).length;
    const sentAfterRestart = sent.filter((e) => e.t0 >= upAt).length;
    if (process.env.DRILL_DEBUG) for (const e of sent) console.error(`${e.t0 - downAt} ${e.status} ${e.answeredAt - e.t0}`);
    const other = sent.filter((e) => !isOk(e.status) && e.status !== 503);
    if (other.length) problems.push(`answers other than 2xx/503: ${sample(other.map((e) => `${e.id}=${e.status}`))}`);
    if (refused503.length === 0) problems.push('no request was answered 503: the outage did not overlap the load');
    if (!firstOkAfter) problems.push(`none of the ${sentAfterRestart} requests sent after the restart was accepted`);
    // Right after the restart: a 2xx must already have its run.
    const present = await runStatuses(address, accepted);
    if (present.missing.length) problems.push(`2xx without a run: ${sample(present.missing)}`);
    const final = await waitForCompletion(address, accepted, 120_000);
    const notDone = [...final.running, ...final.missing, ...final.other];
    if (notDone.length) problems.push(`accepted runs not completed after the restart: ${sample(notDone)}`);
    const notAtSink = accepted.filter((id) => !sink.first.has(`relay-0/${id}`));
    if (notAtSink.length) problems.push(`accepted events that never reached the sink: ${sample(notAtSink)}`);
    return drillResult(
      'Temporal stopped during load',
      `${sent.length} events at ${rate}/s, Temporal down ${(downMs / 1000).toFixed(1)} s; 2xx ${accepted.length}, 503 ${refused503.length}, other ${other.length}; after the restart ${okAfterRestart}/${sentAfterRestart} accepted, the first ${firstOkAfter ? ((firstOkAfter.t0 - upAt) / 1000).toFixed(1) : '—'} s after it; 2xx without a run ${present.missing.length}; completed ${final.completed.length}/${accepted.length}; sink ${accepted.length - notAtSink.length}/${accepted.length}`,
      problems,
    );
  } finally {
    await hf.stop();
    await sink.close();
    await temporal.stop();
  }
}
