// Temporal's floor as one process: a minimal HTTP server takes the webhook, keeps `type == "ping"`,
// starts the floor workflow (eager start: the client shares the worker's connection, so the first
// workflow task comes back with the start) and answers once the start is stored. The worker runs
// in the same process. Configured by environment:
//   TEMPORAL_ADDRESS   the server (required)      SINK_URL   where the step POSTs (required)
//   FLOOR_ACTIVITY     regular | local            PORT       default 0 (any free port)
//   TEMPORAL_TASK_QUEUE                           default floor-<activity>
// Prints "BENCH READY listening on <url>" to stderr once it takes requests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { activities } from './activities.js';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

const address = required('TEMPORAL_ADDRESS');
const sinkUrl = required('SINK_URL');
const kind = process.env.FLOOR_ACTIVITY ?? 'local';
if (kind !== 'regular' && kind !== 'local') throw new Error(`FLOOR_ACTIVITY=${kind}: use regular or local`);
const workflowType = kind === 'local' ? 'floorLocal' : 'floorRegular';
const taskQueue = process.env.TEMPORAL_TASK_QUEUE ?? `floor-${kind}`;

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const { code } = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)), logger: quiet });
const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({ connection, taskQueue, workflowBundle: { code }, activities });
const running = worker.run();
const client = new Client({ connection });

function answer(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function handle(raw: string, res: http.ServerResponse): Promise<void> {
  let event: { type?: unknown; id?: unknown; ts?: unknown };
  try {
    event = JSON.parse(raw) as typeof event;
  } catch {
    return answer(res, 400, { error: 'the body is not JSON' });
  }
  if (event.type !== 'ping') return answer(res, 200, { matched: 0 });
  if (typeof event.id !== 'string') return answer(res, 400, { error: 'body.id must be a string' });
  const delivery = { id: event.id, ts: typeof event.ts === 'number' ? event.ts : Date.now() };
  try {
    await client.workflow.start(workflowType, { taskQueue, workflowId: `floor-${kind}-${event.id}`, args: [sinkUrl, delivery], requestEagerStart: true });
    answer(res, 200, { matched: 1 });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return answer(res, 200, { matched: 1, duplicate: true });
    answer(res, 503, { error: err instanceof Error ? err.message : String(err) });
  }
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => void handle(Buffer.concat(chunks).toString('utf8'), res));
});
server.keepAliveTimeout = 30_000;
await new Promise<void>((r) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', r));

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  server.close();
  worker.shutdown();
  await running.catch(() => {});
  await connection.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stderr.write(`BENCH READY listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
