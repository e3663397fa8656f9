// What flow control costs at dispatch: a plain start of a run (what the dispatcher does for a recipe
// without flow control) vs signal-with-start to a (recipe, key) entity — on a new entity (the first
// event of a key) and on a running one (every later event of a burst). Measures the client call
// against a real dev server (TUNED_SERVER settings, file-backed SQLite), sequential latency and
// throughput with 32 calls in flight. No worker polls: this is the server's cost per event.
// Run: npx tsx bench/flow-start.ts [count]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { FLOW_SIGNAL, FLOW_WORKFLOW } from '../src/core/flow.js';
import { RUN_WORKFLOW } from '../src/core/runtime-contract.js';
import { fmt, percentile, sorted, table } from './lib/stats.js';
import { startTemporal, TUNED_SERVER } from './lib/temporal.js';
import { pool } from './lib/load.js';

const count = Number(process.argv[2] ?? 300);
const taskQueue = 'bench-flow-nobody';
const event = { source: 'bench', type: 'ping', id: 'x', received_at: new Date().toISOString(), body: { type: 'ping', text: 'hello' }, headers: {}, query: {} };
const recipe = { name: 'bench', on: { source: 'bench', event: 'ping' }, debounce: { period: '5m' }, steps: [{ log: 'hi' }] };

type Op = (i: number) => Promise<unknown>;

async function measure(label: string, op: Op): Promise<Array<string | number>> {
  for (let i = 0; i < 10; i++) await op(-1 - i); // warm-up
  const lat: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await op(i);
    lat.push(performance.now() - t0);
  }
  const s = sorted(lat);
  const t0 = performance.now();
  await pool(
    Array.from({ length: count }, (_, i) => count + i),
    32,
    (i) => op(i),
  );
  const perSec = count / ((performance.now() - t0) / 1000);
  return [label, fmt(percentile(s, 50)), fmt(percentile(s, 90)), fmt(percentile(s, 99)), Math.round(perSec)];
}

const server = await startTemporal({ ...TUNED_SERVER, dbFile: path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-flow-bench-')), 'temporal.db') });
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
const tag = Date.now().toString(36);
try {
  const rows = [
    await measure('start (no flow control)', (i) =>
      client.workflow.start(RUN_WORKFLOW, { taskQueue, workflowId: `start-${tag}-${i}`, args: [{ recipe, event }] }),
    ),
    await measure('signal-with-start, new entity', (i) =>
      client.workflow.signalWithStart(FLOW_WORKFLOW, {
        taskQueue,
        workflowId: `sws-new-${tag}-${i}`,
        args: [{ recipe: 'bench', key: '' }],
        signal: FLOW_SIGNAL,
        signalArgs: [{ recipe, event, workflowId: `r-${i}` }],
      }),
    ),
    await measure('signal-with-start, running entity', (i) =>
      client.workflow.signalWithStart(FLOW_WORKFLOW, {
        taskQueue,
        workflowId: `sws-one-${tag}`,
        args: [{ recipe: 'bench', key: '' }],
        signal: FLOW_SIGNAL,
        signalArgs: [{ recipe, event, workflowId: `r-${i}` }],
      }),
    ),
  ];
  console.log(`${count} calls each; latency sequential (ms), throughput with 32 in flight`);
  console.log(table(['call', 'p50', 'p90', 'p99', 'calls/s'], rows));
} finally {
  await connection.close();
  await server.stop();
}
