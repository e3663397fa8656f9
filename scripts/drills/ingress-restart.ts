// Ingress restarted under load: `hookflow serve` is stopped (SIGTERM, then later SIGKILL) and
// started again on the same port while events arrive. Senders retry refused or failed deliveries
// as providers do. No event answered 2xx may be lost: each run completes and reaches the sink.
import { freePort, sleep } from '../../bench/lib/basics.js';
import { startTemporal } from '../../bench/lib/temporal.js';
import { type Proc } from '../../bench/lib/processes.js';
import { startCountingSink } from '../../bench/lib/sink.js';
import { deliver, drillResult, hookflow, relayRecipes, sample, waitForCompletion, type Delivery, type DrillResult } from './common.js';

export async function ingressRestart(events = 400, rate = 25): Promise<DrillResult> {
  const temporal = await startTemporal();
  const sink = await startCountingSink();
  const port = await freePort();
  const env = { RECIPES_DIR: relayRecipes(sink.url), TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: `drill-ingress-${Date.now().toString(36)}` };
  const worker = await hookflow('worker', env);
  let ingress: Proc = await hookflow('serve', { ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  const problems: string[] = [];
  try {
    const durationMs = (events / rate) * 1000;
    const restarts: string[] = [];
    const chaos = (async () => {
      for (const [at, signal] of [
        [0.3, 'SIGTERM'],
        [0.65, 'SIGKILL'],
      ] as const) {
        await sleep(durationMs * (at - (restarts.length ? 0.3 : 0)));
        const t0 = Date.now();
        await ingress.stop(signal);
        ingress = await hookflow('serve', { ...env, PORT: String(port) });
        restarts.push(`${signal} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
    })();
    const tag = Date.now().toString(36);
    const start = Date.now();
    const pending: Array<Promise<Delivery>> = [];
    for (let i = 0; i < events; i++) {
      const wait = start + (i * 1000) / rate - Date.now();
      if (wait > 0) await sleep(wait);
      pending.push(deliver(() => url, `${tag}-${i}`, 40, 500));
    }
    const deliveries = await Promise.all(pending);
    await chaos;
    const accepted = deliveries.filter((d) => d.accepted).map((d) => d.id);
    const retried = deliveries.filter((d) => d.statuses.length > 1).length;
    const failedAttempts = deliveries.reduce((s, d) => s + d.statuses.filter((x) => x < 200 || x >= 300).length, 0);
    const never = deliveries.filter((d) => !d.accepted).map((d) => `${d.id}:${d.statuses.join('/')}`);
    if (never.length) problems.push(`events never accepted despite retries: ${sample(never)}`);
    if (retried === 0) problems.push('no delivery needed a retry: the restarts did not overlap the load');
    const final = await waitForCompletion(temporal.address, accepted, 120_000);
    const notDone = [...final.running, ...final.missing, ...final.other];
    if (notDone.length) problems.push(`accepted events whose run did not complete: ${sample(notDone)}`);
    const notAtSink = accepted.filter((id) => !sink.first.has(`relay-0/${id}`));
    if (notAtSink.length) problems.push(`accepted events never at the sink: ${sample(notAtSink)}`);
    return drillResult(
      'ingress restarted under load',
      `${events} events at ${rate}/s, restarts: ${restarts.join(', ')}; deliveries retried ${retried} (failed attempts ${failedAttempts}); accepted ${accepted.length}/${events}; completed ${final.completed.length}/${accepted.length}; sink ${accepted.length - notAtSink.length}/${accepted.length}`,
      problems,
    );
  } finally {
    await ingress.stop();
    await worker.stop();
    await sink.close();
    await temporal.stop();
  }
}
