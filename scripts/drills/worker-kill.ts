// Worker SIGKILLed during load: runs with an http step are in flight when the worker process dies;
// a new worker starts. All runs must complete; the sink sees every event at least once, and every
// repeat of a delivery carries the same Idempotency-Key.
import { sleep } from '../../bench/lib/basics.js';
import { startTemporal } from '../../bench/lib/temporal.js';
import { startCountingSink } from '../../bench/lib/sink.js';
import { isOk } from '../../bench/lib/http.js';
import { openLoop } from '../../bench/lib/load.js';
import { drillResult, hookflow, relayRecipes, sample, waitForCompletion, type DrillResult } from './common.js';

export async function workerKill(events = 300, rate = 30): Promise<DrillResult> {
  const temporal = await startTemporal();
  const sink = await startCountingSink();
  // A slow sink keeps many http steps in flight at the moment of the kill.
  sink.respond = () => ({ status: 200, delayMs: 300 });
  const env = { RECIPES_DIR: relayRecipes(sink.url), TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: `drill-kill-${Date.now().toString(36)}` };
  const ingress = await hookflow('serve', env);
  let worker = await hookflow('worker', env);
  const problems: string[] = [];
  try {
    const durationMs = (events / rate) * 1000;
    let atKill = 0;
    const chaos = (async () => {
      await sleep(durationMs * 0.4);
      atKill = sink.total();
      await worker.stop('SIGKILL');
      await sleep(2000);
      worker = await hookflow('worker', env);
    })();
    const { sent } = await openLoop({ url: `${ingress.url}/hooks/bench`, rate, durationMs, idPrefix: Date.now().toString(36) });
    await chaos;
    const accepted = sent.filter((e) => isOk(e.status)).map((e) => e.id);
    if (accepted.length !== sent.length) problems.push(`${sent.length - accepted.length} requests not answered 2xx`);
    const final = await waitForCompletion(temporal.address, accepted, 180_000);
    const notDone = [...final.running, ...final.missing, ...final.other];
    if (notDone.length) problems.push(`runs not completed: ${sample(notDone)}`);
    const notAtSink = accepted.filter((id) => !sink.first.has(`relay-0/${id}`));
    if (notAtSink.length) problems.push(`events never at the sink: ${sample(notAtSink)}`);
    const repeats = [...sink.keys].filter(([, ks]) => ks.size > 0);
    const mixedKeys = [...sink.keys].filter(([, ks]) => ks.size !== 1).map(([k]) => k);
    if (mixedKeys.length) problems.push(`deliveries whose repeats carried different Idempotency-Keys: ${sample(mixedKeys)}`);
    const repeated = sink.total() - sink.first.size;
    return drillResult(
      'worker SIGKILLed during load',
      `${sent.length} events at ${rate}/s, worker killed after ${atKill} sink hits and restarted 2 s later; 2xx ${accepted.length}; completed ${final.completed.length}/${accepted.length}; sink ${accepted.length - notAtSink.length}/${accepted.length} distinct, ${repeated} repeats, ${repeats.length - mixedKeys.length}/${repeats.length} with one Idempotency-Key`,
      problems,
    );
  } finally {
    await worker.stop();
    await ingress.stop();
    await sink.close();
    await temporal.stop();
  }
}
