// The whole hookflow process group SIGKILLed in the middle of a burst (power-cut style: nothing gets
// to flush or answer), then started again on the same journal. Every webhook answered 2xx before
// the kill must reach the sink, each through one run (a call repeated after the kill carries the
// same Idempotency-Key); none twice by two runs.
import { freePort, sleep } from '../../bench/lib/basics.js';
import { startTemporal } from '../../bench/lib/temporal.js';
import { startCountingSink } from '../../bench/lib/sink.js';
import { isOk, pingBody, postOutcome } from '../../bench/lib/http.js';
import { pool } from '../../bench/lib/load.js';
import { drillResult, hookflow, relayRecipes, sample, type DrillResult } from './common.js';

export async function groupKill(events = 3000, inFlight = 200, killAfter = 1200): Promise<DrillResult> {
  const temporal = await startTemporal();
  const sink = await startCountingSink();
  const port = await freePort();
  const env = {
    RECIPES_DIR: relayRecipes(sink.url),
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `drill-group-${Date.now().toString(36)}`,
    PORT: String(port),
  };
  let hf = await hookflow('start', env, { detached: true });
  const problems: string[] = [];
  try {
    const tag = Date.now().toString(36);
    const ids = Array.from({ length: events }, (_, i) => `${tag}-${i}`);
    let answered = 0;
    let killedAt = 0;
    const outcomes = await pool(ids, inFlight, async (id) => {
      const o = await postOutcome(`http://127.0.0.1:${port}/hooks/bench`, pingBody(id, Date.now()));
      if (++answered === killAfter && !killedAt) {
        killedAt = Date.now();
        process.kill(-hf.pid, 'SIGKILL');
      }
      return { id, status: o.status };
    });
    const accepted = outcomes.filter((o) => isOk(o.status)).map((o) => o.id);
    const t0 = Date.now();
    hf = await hookflow('start', env, { detached: true });
    const restartMs = Date.now() - t0;
    const deadline = Date.now() + 180_000;
    while (accepted.some((id) => !sink.first.has(`relay-0/${id}`)) && Date.now() < deadline) await sleep(500);
    const missing = accepted.filter((id) => !sink.first.has(`relay-0/${id}`));
    if (missing.length) problems.push(`acknowledged webhooks that never reached the sink: ${sample(missing)}`);
    const doubled = [...sink.keys].filter(([, k]) => k.size > 1).map(([key]) => key);
    if (doubled.length) problems.push(`events delivered by more than one run: ${sample(doubled)}`);
    if (accepted.length >= events) problems.push('every request was answered: the kill came too late');
    const repeats = sink.total() - sink.first.size;
    const extra = [...sink.first.keys()].filter((k) => !accepted.includes(k.replace('relay-0/', ''))).length;
    return drillResult(
      'process group SIGKILLed mid-burst',
      `${events} webhooks at ${inFlight} in flight, killed after ${killAfter} answers; 2xx ${accepted.length}; restart ${(restartMs / 1000).toFixed(1)} s; sink ${accepted.length - missing.length}/${accepted.length} acknowledged (+${extra} committed but unanswered), repeats with the same key ${repeats}, by two runs ${doubled.length}`,
      problems,
    );
  } finally {
    await hf.stop();
    await sink.close();
    await temporal.stop();
  }
}
