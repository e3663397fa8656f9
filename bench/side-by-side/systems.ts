// The systems a side-by-side run compares, each a child process (tree) doing the same job —
// webhook POST → keep `type == "ping"` → POST the event's id to a loopback sink — with a sink of
// its own that counts unique ids. hookflow is driven only through its public interface:
// `hookflow start` with environment variables, and its trigger URL.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sleep } from '../lib/basics.js';
import { unsignedSource } from '../lib/recipes.js';
import { spawnProc, stopChild } from '../lib/processes.js';
import { bodyId, type CountingSink, startCountingSink } from '../lib/sink.js';
import { pingBody, post } from '../lib/http.js';
import type { TemporalUnderTest } from './temporal.js';

export const SYSTEMS = ['nodered', 'n8n', 'hookflow', 'floor-regular', 'floor-local'] as const;
export type SystemName = (typeof SYSTEMS)[number];

export interface System {
  name: SystemName;
  /** Where the webhooks go. */
  url: string;
  sink: CountingSink;
  /** Root of the system's process tree (its CPU is counted over the whole tree). */
  pid: number;
  /** The Temporal server the system runs on, when it uses one. */
  temporal?: TemporalUnderTest;
  /** The tail of the system's output, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface SystemOptions {
  /** Where bench/peers/setup.sh installed the peers. */
  peersDir: string;
  temporal?: TemporalUnderTest;
  /** Extra environment for hookflow (`--env K=V`), e.g. HOOKFLOW_INTAKE=journal. */
  hookflowEnv: Record<string, string>;
  log: (line: string) => void;
}

/** What each peer's flow file (bench/peers/) fixes: its webhook port and path, and its sink's port. */
const PEERS = {
  nodered: { port: 1881, hook: '/hooks/bar', sinkPort: 9917, ready: 60_000 },
  n8n: { port: 5678, hook: '/webhook/bar', sinkPort: 9900, ready: 180_000 },
} as const;

export async function startSystem(name: SystemName, o: SystemOptions): Promise<System> {
  switch (name) {
    case 'nodered':
    case 'n8n':
      return startPeer(name, o);
    case 'hookflow':
      return startHookflow(needTemporal(name, o), o.hookflowEnv);
    case 'floor-regular':
    case 'floor-local':
      return startFloor(name, needTemporal(name, o));
  }
}

function needTemporal(name: SystemName, o: SystemOptions): TemporalUnderTest {
  if (!o.temporal) throw new Error(`${name} needs a Temporal server`);
  return o.temporal;
}

async function startPeer(name: 'nodered' | 'n8n', o: SystemOptions): Promise<System> {
  const peer = PEERS[name];
  const runSh = path.join(o.peersDir, name, 'run.sh');
  if (!existsSync(runSh)) throw new Error(`${runSh} is missing: install the peers with \`bash bench/peers/setup.sh ${o.peersDir}\``);
  for (const port of [peer.port, peer.sinkPort]) await assertPortFree(port, name);
  const sink = await startCountingSink({ port: peer.sinkPort, keyOf: bodyId });
  const child = spawn('bash', [runSh, ...(name === 'n8n' ? ['start'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (c: Buffer): void => void (out = (out + c.toString()).slice(-8000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${peer.port}${peer.hook}`;
  try {
    await untilServing(url, sink, child, peer.ready, () => out);
  } catch (err) {
    await stopChild(child, 'SIGTERM', 10_000);
    await sink.close();
    throw err;
  }
  o.log(`${name}: up at ${url}`);
  return {
    name,
    url,
    sink,
    pid: child.pid!,
    output: () => out,
    async stop() {
      await stopChild(child, 'SIGTERM', 20_000);
      await sink.close();
    },
  };
}

/**
 * Resolves once a probe webhook reaches the sink: a peer listens well before its flow is active
 * (n8n answers 404 for ~30 s after its port opens).
 */
async function untilServing(url: string, sink: CountingSink, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited ${child.exitCode}:\n${output()}`);
    const id = `probe-${i}`;
    if ((await post(url, pingBody(id, Date.now()), 5000)) === 200 && sink.first.has(id)) return;
    if (Date.now() > deadline) throw new Error(`${url} did not deliver a probe webhook to its sink within ${timeoutMs / 1000} s:\n${output()}`);
    await sleep(500);
  }
}

function assertPortFree(port: number, who: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', () => reject(new Error(`${who} needs 127.0.0.1:${port} (fixed in its flow file), which is in use: is another bench or peer running?`)));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
  });
}

/** `hookflow start` against the shared server, with a generic source and one recipe whose only step POSTs `{ id, ts }`. */
async function startHookflow(temporal: TemporalUnderTest, env: Record<string, string>): Promise<System> {
  const sink = await startCountingSink({ keyOf: bodyId });
  const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-sbs-recipes-'));
  writeFileSync(path.join(dir, 'sources.yaml'), unsignedSource('bench'));
  writeFileSync(
    path.join(dir, 'relay.yaml'),
    `name: relay\non: { source: bench, event: ping }\nsteps:\n  - http: { method: POST, url: "${sink.url}/deliver", json: { id: "{{ event.id }}", ts: "{{ event.sent }}" } }\n`,
  );
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", which NODE_OPTIONS refuses) go to hookflow's node.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = await spawnProc([...nodeArgs, 'bin/hookflow.mjs', 'start'], {
    PORT: '0',
    RECIPES_DIR: dir,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `sbs-hookflow-${Date.now().toString(36)}`,
    HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1',
    ...env,
  }).catch(async (err: unknown) => {
    await sink.close();
    throw err;
  });
  if (!proc.url) throw new Error(`hookflow start printed no "listening on" line:\n${proc.stderr()}`);
  return {
    name: 'hookflow',
    url: `${proc.url}/hooks/bench`,
    sink,
    pid: proc.pid,
    temporal,
    output: proc.stderr,
    stop: () => proc.stop().finally(() => sink.close()),
  };
}

/** bench/floor/main.ts: Temporal's own floor for the job, a regular or a local activity. */
async function startFloor(name: 'floor-regular' | 'floor-local', temporal: TemporalUnderTest): Promise<System> {
  const sink = await startCountingSink({ keyOf: bodyId });
  const proc = await spawnProc(['--import', 'tsx', 'bench/floor/main.ts'], {
    PORT: '0',
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `sbs-${name}-${Date.now().toString(36)}`,
    FLOOR_ACTIVITY: name === 'floor-local' ? 'local' : 'regular',
    SINK_URL: `${sink.url}/deliver`,
  }).catch(async (err: unknown) => {
    await sink.close();
    throw err;
  });
  return { name, url: `${proc.url}/hooks/bench`, sink, pid: proc.pid, temporal, output: proc.stderr, stop: () => proc.stop().finally(() => sink.close()) };
}
