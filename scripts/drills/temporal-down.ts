// Temporal stopped during load: the dev server (SQLite file) is killed while events arrive at a
// steady rate, and restarted on the same port after `outageMs`.
// - journal intake (the default): no request may be refused — every one is answered 2xx, journaled —
//   and once Temporal is back every run starts, completes and reaches the sink;
// - direct intake: requests during the outage get 503 (the provider retries); no 2xx without its
//   run stored in Temporal at the moment of the answer.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sleep } from '../../bench/lib/basics.js';
import { startTemporal, type TemporalServer } from '../../bench/lib/temporal.js';
import { startCountingSink } from '../../bench/lib/sink.js';
import { isOk } from '../../bench/lib/http.js';
import { openLoop } from '../../bench/lib/load.js';
import { drillResult, hookflow, relayRecipes, runStatuses, sample, waitForCompletion, type DrillResult } from './common.js';

export async function temporalDown(opts: { rate?: number; outageMs?: number; mode?: 'journal' | 'direct' } = {}): Promise<DrillResult> {
  const rate = opts.rate ?? 20;
  const outageMs = opts.outageMs ?? 120_000;
  const mode = opts.mode ?? 'journal';
  const dbFile = path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-drill-')), 'temporal.db');
  let temporal: TemporalServer = await startTemporal({ dbFile });
  const port = temporal.port;
  const address = temporal.address;
  const sink = await startCountingSink();
  const hf = await hookflow('start', {
    RECIPES_DIR: relayRecipes(sink.url),
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: `drill-down-${Date.now().toString(36)}`,
    HOOKFLOW_INTAKE: mode,
  });
  const problems: string[] = [];
  try {
    const lead = 10_000;
    const durationMs = lead + outageMs + 10_000;
    const tag = Date.now().toString(36);
    let downAt = 0;
    let upAt = 0;
    const outage = (async () => {
      await sleep(lead);
      await temporal.crash();
      downAt = Date.now();
      await sleep(outageMs);
      temporal = await startTemporal({ dbFile, port });
      upAt = Date.now();
      return upAt - downAt;
    })();
    const { sent } = await openLoop({ url: `${hf.url}/hooks/bench`, rate, durationMs, idPrefix: tag });
    const downMs = await outage;
    const accepted = sent.filter((e) => isOk(e.status)).map((e) => e.id);
    const refused = sent.filter((e) => !isOk(e.status));
    const during = sent.filter((e) => e.t0 >= downAt && e.t0 < upAt);
    if (mode === 'journal') {
      if (refused.length) problems.push(`requests not answered 2xx: ${sample(refused.map((e) => `${e.id}=${e.status}`))}`);
      if (during.length === 0) problems.push('no request was sent during the outage');
    } else {
      const other = refused.filter((e) => e.status !== 503);
      if (other.length) problems.push(`answers other than 2xx/503: ${sample(other.map((e) => `${e.id}=${e.status}`))}`);
      if (refused.length === 0) problems.push('no request was answered 503: the outage did not overlap the load');
      // Direct intake: a 2xx means the run was in Temporal when it was answered.
      const present = await runStatuses(address, accepted);
      if (present.missing.length) problems.push(`2xx without a run: ${sample(present.missing)}`);
    }
    // The backlog drains at Temporal's start rate: allow 3 min, or 250 ms per accepted event on a loaded machine.
    const final = await waitForCompletion(address, accepted, Math.max(180_000, accepted.length * 250));
    const notDone = [...final.running, ...final.missing, ...final.other];
    if (notDone.length) problems.push(`accepted runs not completed after the restart: ${sample(notDone)}`);
    const notAtSink = accepted.filter((id) => !sink.first.has(`relay-0/${id}`));
    if (notAtSink.length) problems.push(`accepted events that never reached the sink: ${sample(notAtSink)}`);
    const doubled = accepted.filter((id) => (sink.keys.get(`relay-0/${id}`)?.size ?? 0) > 1);
    if (doubled.length) problems.push(`events delivered by more than one run: ${sample(doubled)}`);
    const lastAt = Math.max(...accepted.map((id) => sink.first.get(`relay-0/${id}`) ?? 0));
    return drillResult(
      `Temporal stopped during load (${mode} intake)`,
      `${sent.length} events at ${rate}/s, Temporal down ${(downMs / 1000).toFixed(1)} s (${during.length} sent meanwhile); 2xx ${accepted.length}, refused ${refused.length}; completed ${final.completed.length}/${accepted.length}; sink ${accepted.length - notAtSink.length}/${accepted.length}, the last ${((lastAt - upAt) / 1000).toFixed(1)} s after the restart`,
      problems,
    );
  } finally {
    await hf.stop();
    await sink.close();
    await temporal.stop();
  }
}
