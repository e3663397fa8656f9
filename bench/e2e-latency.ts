// End-to-end latency: POST a webhook → the run's http step reaches a loopback sink.
// 100 sequential events; prints p50/p90/p99 in ms. Run: npx tsx bench/e2e-latency.ts [count]
import { startDevServer } from '../src/temporal/dev-server.js';
import { startE2EProc } from './e2e.js';
import { ROOT, sleep } from './lib/basics.js';
import { percentile, sorted } from './lib/stats.js';
import { post } from './lib/http.js';

export async function e2eLatency(count = 100): Promise<{ p50: number; p90: number; p99: number; ackP50: number }> {
  const server = process.env.TEMPORAL_ADDRESS ? undefined : await startDevServer({ home: ROOT });
  const p = await startE2EProc(process.env.TEMPORAL_ADDRESS ?? server!.address);
  const lat: number[] = [];
  const ack: number[] = [];
  const runTag = Date.now().toString(36);
  try {
    for (let i = 0; i < count + 5; i++) {
      const id = `${runTag}-${i}`;
      const t0 = Date.now();
      const status = await post(`${p.proc.url}/hooks/bench`, JSON.stringify({ type: 'ping', id }));
      if (status !== 200) throw new Error(`webhook answered ${status}`);
      const t1 = Date.now();
      while (!p.sink.first.has(`relay-0/${id}`)) await sleep(1);
      if (i >= 5) {
        // the first few warm up the worker's caches
        lat.push(p.sink.first.get(`relay-0/${id}`)! - t0);
        ack.push(t1 - t0);
      }
    }
  } finally {
    await p.stop();
    await server?.stop();
  }
  const l = sorted(lat);
  return { p50: percentile(l, 50), p90: percentile(l, 90), p99: percentile(l, 99), ackP50: percentile(sorted(ack), 50) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 100);
  const r = await e2eLatency(n);
  console.log(`e2e latency over ${n} sequential events: p50 ${r.p50} ms, p90 ${r.p90} ms, p99 ${r.p99} ms (webhook answered p50 ${r.ackP50} ms)`);
}
