// End-to-end latency: POST a webhook → the run's http step reaches a loopback sink.
// 100 sequential events; prints p50/p90/p99 in ms. Run: npx tsx bench/e2e-latency.ts [count]
import { startDevServer } from '../src/temporal/dev-server.js';
import { start as startSink } from '../test/helpers/http-sink.js';
import { postJson, startTestHookflow, unsignedSource } from '../test/helpers/hookflow.js';

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function e2eLatency(count = 100): Promise<{ p50: number; p90: number; p99: number; ackP50: number }> {
  const server = process.env.TEMPORAL_ADDRESS ? undefined : await startDevServer({ home: process.cwd() });
  const address = process.env.TEMPORAL_ADDRESS ?? server!.address;
  const arrivals = new Map<string, number>();
  const sink = await startSink({
    fallback: (req) => {
      arrivals.set(req.path, req.receivedAt);
      return { status: 200 };
    },
  });
  const hf = await startTestHookflow({
    address,
    recipes: {
      'sources.yaml': unsignedSource('bench'),
      'relay.yaml': `name: relay\non: { source: bench, event: ping }\nsteps:\n  - http: { method: POST, url: "${sink.url}/e/{{ event.id }}", json: { id: "{{ event.id }}" } }\n`,
    },
  });
  const lat: number[] = [];
  const ack: number[] = [];
  const runTag = Date.now().toString(36);
  try {
    for (let i = 0; i < count + 5; i++) {
      const id = `${runTag}-${i}`;
      const t0 = Date.now();
      const res = await postJson(`${hf.url}/hooks/bench`, { type: 'ping', id });
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
      const t1 = Date.now();
      while (!arrivals.has(`/e/${id}`)) await new Promise((r) => setImmediate(r));
      if (i >= 5) {
        // the first few warm up the worker's caches
        lat.push(arrivals.get(`/e/${id}`)! - t0);
        ack.push(t1 - t0);
      }
    }
  } finally {
    await hf.stop();
    await sink.close();
    await server?.stop();
  }
  lat.sort((a, b) => a - b);
  ack.sort((a, b) => a - b);
  return { p50: percentile(lat, 50), p90: percentile(lat, 90), p99: percentile(lat, 99), ackP50: percentile(ack, 50) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 100);
  const r = await e2eLatency(n);
  console.log(`e2e latency over ${n} sequential events: p50 ${r.p50} ms, p90 ${r.p90} ms, p99 ${r.p99} ms (webhook answered p50 ${r.ackP50} ms)`);
}
