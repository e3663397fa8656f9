// Ingest: webhooks answered 2xx per second, and answer latency, under autocannon (closed loop,
// fixed connections, a fresh event id per request so every start is a new durable run).
// Also the two ceilings: the ingress with a no-op starter, and a bare loop of Temporal starts.
import autocannon from 'autocannon';
import { HookflowClient } from '../src/temporal/client.js';
import type { Recipe, TriggerEvent } from '../src/core/types.js';
import { median, percentile, sorted } from './lib/stats.js';
import { benchRecipesDir } from './lib/recipes.js';
import { type Proc, spawnProc } from './lib/processes.js';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

export async function autocannonRun(url: string, connections: number, durationS: number): Promise<LoadResult> {
  const r = await autocannon({
    url: `${url}/hooks/bench`,
    method: 'POST',
    connections,
    duration: durationS,
    headers: { 'content-type': 'application/json' },
    body: '{"type":"ping","id":"[<id>]"}',
    idReplacement: true,
  });
  return { rps: r['2xx'] / (r.duration || durationS), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts };
}

export interface IngestRow {
  label: string;
  runs: LoadResult[];
  rps: number;
  p50: number;
  p99: number;
  bad: number;
}

function summarize(label: string, runs: LoadResult[]): IngestRow {
  return {
    label,
    runs,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    bad: runs.reduce((s, r) => s + r.non2xx + r.errors, 0),
  };
}

export interface IngestOptions {
  address: string;
  repeats: number;
  durationS: number;
  connections: number;
  log: (l: string) => void;
}

/** One ingress configuration: a child process, a warm-up, then `repeats` measured runs. */
export async function ingestCase(
  label: string,
  mode: 'noop' | 'serve' | 'start',
  recipes: number,
  o: IngestOptions,
  env: Record<string, string> = {},
): Promise<IngestRow> {
  const dir = benchRecipesDir({ count: recipes });
  const taskQueue = `bench-ingest-${mode}-${recipes}-${Date.now().toString(36)}`;
  const proc: Proc = await spawnProc(['--import', 'tsx', 'bench/procs/hookflow.ts'], {
    BENCH_MODE: mode,
    PORT: '0',
    RECIPES_DIR: dir,
    TEMPORAL_ADDRESS: o.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    LOG_LEVEL: 'info',
    ...env,
  });
  try {
    await autocannonRun(proc.url!, o.connections, 2); // warm-up: JIT, connection pools
    const runs: LoadResult[] = [];
    for (let i = 0; i < o.repeats; i++) {
      runs.push(await autocannonRun(proc.url!, o.connections, o.durationS));
      o.log(
        `  ${label} run ${i + 1}: ${runs.at(-1)!.rps.toFixed(0)} 2xx/s, p50 ${runs.at(-1)!.p50} ms, p99 ${runs.at(-1)!.p99} ms, non-2xx ${runs.at(-1)!.non2xx}`,
      );
    }
    return summarize(label, runs);
  } finally {
    await proc.stop();
  }
}

const RECIPE: Recipe = { name: 'relay-0', on: { source: 'bench', event: 'ping' }, steps: [{ log: 'got {{ event.id }}' }] };

/** `concurrency` loops of HookflowClient.startRun (the same start the ingress makes), for `durationS`. */
export async function clientStartLoop(address: string, concurrency: number, durationS: number): Promise<LoadResult> {
  const client = await HookflowClient.connect({ address, namespace: 'default', taskQueue: `bench-bare-${Date.now().toString(36)}` });
  const lat: number[] = [];
  let errors = 0;
  let n = 0;
  const tag = Math.random().toString(36).slice(2, 8);
  const deadline = performance.now() + durationS * 1000;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const i = n++;
          const event: TriggerEvent = {
            source: 'bench',
            type: 'ping',
            id: `${tag}-${i}`,
            received_at: new Date().toISOString(),
            body: { type: 'ping', id: `${tag}-${i}` },
            headers: { 'content-type': 'application/json' },
            query: {},
          };
          const s = performance.now();
          try {
            await client.startRun(RECIPE, event);
            lat.push(performance.now() - s);
          } catch {
            errors++;
          }
        }
      }),
    );
  } finally {
    await client.close();
  }
  const elapsed = (performance.now() - t0) / 1000;
  const s = sorted(lat);
  return { rps: lat.length / elapsed, p50: percentile(s, 50), p99: percentile(s, 99), non2xx: 0, errors };
}

export async function clientCase(o: IngestOptions): Promise<IngestRow> {
  await clientStartLoop(o.address, o.connections, 2);
  const runs: LoadResult[] = [];
  for (let i = 0; i < o.repeats; i++) {
    runs.push(await clientStartLoop(o.address, o.connections, o.durationS));
    o.log(`  bare client starts run ${i + 1}: ${runs.at(-1)!.rps.toFixed(0)} starts/s, p50 ${runs.at(-1)!.p50.toFixed(1)} ms`);
  }
  return summarize(`bare Temporal client starts (${o.connections} concurrent loops)`, runs);
}
