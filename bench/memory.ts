// Worker memory with many runs parked in a `delay`: RSS of the worker process (the workflow
// sandbox threads included) and the main thread's V8 heap, idle and with `runs` runs waiting.
import type { Recipe, TriggerEvent } from '../src/core/types.js';
import { HookflowClient } from '../src/temporal/client.js';
import { sleep } from './lib/basics.js';
import { type Proc, spawnProc } from './lib/processes.js';
import { rssMb } from './lib/proc-stats.js';
import { startCountingSink } from './lib/sink.js';

export interface MemoryResult {
  label: string;
  runs: number;
  idleRssMb: number;
  idleHeapMb: number;
  rssMb: number;
  heapMb: number;
  /** Extra RSS per waiting run, kB. */
  perRunKb: number;
}

/** The main thread's heap from the process's latest `BENCH MEM` line (printed every 500 ms). */
async function heapMb(proc: Proc): Promise<number> {
  await sleep(600);
  const all = [...proc.stderr().matchAll(/BENCH MEM (\{.*\})/g)];
  const last = all.at(-1);
  return last ? (JSON.parse(last[1]!) as { heapUsed: number }).heapUsed / 2 ** 20 : NaN;
}

export async function memoryCase(
  address: string,
  runs: number,
  label: string,
  tuning: Record<string, unknown> = {},
  log: (l: string) => void = () => {},
): Promise<MemoryResult> {
  const sink = await startCountingSink();
  const taskQueue = `bench-mem-${Date.now().toString(36)}`;
  const proc = await spawnProc(['--import', 'tsx', 'bench/procs/hookflow.ts'], {
    BENCH_MODE: 'worker',
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1',
    BENCH_TUNING: JSON.stringify(tuning),
    LOG_LEVEL: 'warn',
    BENCH_MEM_INTERVAL_MS: '500',
  });
  const client = await HookflowClient.connect({ address, namespace: 'default', taskQueue });
  try {
    await sleep(2000);
    const idleRss = rssMb(proc.pid);
    const idleHeap = await heapMb(proc);
    // An http step first, so the sink tells when each run has passed it and sits in the delay.
    const recipe: Recipe = {
      name: 'park',
      on: { source: 'bench', event: 'ping' },
      steps: [{ http: { method: 'POST', url: `${sink.url}/e/park/{{ event.id }}`, json: { id: '{{ event.id }}' } } }, { delay: '30m' }],
    };
    const tag = Date.now().toString(36);
    for (let i = 0; i < runs; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, runs - i) }, (_, j) => {
          const id = `${tag}-${i + j}`;
          const event: TriggerEvent = {
            source: 'bench',
            type: 'ping',
            id,
            received_at: new Date().toISOString(),
            body: { type: 'ping', id },
            headers: {},
            query: {},
          };
          return client.startRun(recipe, event);
        }),
      );
    }
    const deadline = Date.now() + 180_000;
    while (sink.first.size < runs && Date.now() < deadline) await sleep(250);
    if (sink.first.size < runs)
      throw new Error(
        `only ${sink.first.size} of ${runs} runs reached their delay in 180 s (worker ${proc.child.exitCode === null ? 'running' : `exited ${proc.child.exitCode}`}): ${proc.stderr().slice(-1000)}`,
      );
    await sleep(3000); // the workflow tasks that start the timers
    const rss = rssMb(proc.pid);
    const heap = await heapMb(proc);
    log(`  ${label}: idle RSS ${idleRss.toFixed(0)} MB → ${rss.toFixed(0)} MB with ${runs} runs waiting`);
    return { label, runs, idleRssMb: idleRss, idleHeapMb: idleHeap, rssMb: rss, heapMb: heap, perRunKb: ((rss - idleRss) * 1024) / runs };
  } finally {
    await client.close();
    await proc.stop();
    await sink.close();
  }
}
