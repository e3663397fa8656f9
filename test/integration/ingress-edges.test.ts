// The ingress's smaller edges: what HOST binds and what the banner says, a client that hangs up
// mid-body (an info line, not an error), prototype names in the query string, and the hub.challenge
// echo served as text that no browser will sniff into HTML.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { startHookflow, type Hookflow } from '../../src/app/hookflow.js';
import { loadConfig } from '../../src/config.js';
import type { RunInput } from '../../src/core/types.js';
import { eventually, recipesDir, temporalAddress, uniqueTaskQueue, unsignedSource, startedRun } from '../helpers/hookflow.js';

const RECIPES = {
  'sources.yaml': unsignedSource('open'),
  'r.yaml': 'name: edges\non: { source: open, event: go }\nsteps:\n  - log: "{{ trigger.id }}"\n',
};

function outsideAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

async function start(env: Record<string, string>, lines: LogLine[] = []): Promise<Hookflow & { url: string }> {
  const config = loadConfig(
    { ...process.env, PORT: '0', RECIPES_DIR: recipesDir(RECIPES), TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_TASK_QUEUE: uniqueTaskQueue('edges'), ...env },
    process.cwd(),
  );
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  const hf = await startHookflow(config, { roles: { ingress: true, worker: false }, logger });
  return hf as Hookflow & { url: string };
}

describe('HOST and the banner', () => {
  test('unset: every interface, and the banner says so', async () => {
    const hf = await start({});
    try {
      assert.match(hf.listening ?? '', /^all interfaces, port \d+/);
      assert.equal((await fetch(`${hf.url}/healthz`)).status !== 0, true);
    } finally {
      await hf.stop();
    }
  });

  test('HOST=127.0.0.1: bound there only (another address of this machine is refused), and the banner says that', async (t) => {
    const hf = await start({ HOST: '127.0.0.1' });
    try {
      const port = new URL(hf.url).port;
      assert.equal(hf.listening, `http://127.0.0.1:${port}`);
      assert.notEqual((await fetch(`${hf.url}/healthz`)).status, 0);
      const outside = outsideAddress();
      if (!outside) return t.skip('no non-loopback address on this machine');
      await assert.rejects(fetch(`http://${outside}:${port}/healthz`), 'not reachable from another interface');
    } finally {
      await hf.stop();
    }
  });
});

describe('requests at the edges', () => {
  const lines: LogLine[] = [];
  let hf: Hookflow & { url: string };
  before(async () => {
    hf = await start({}, lines);
  });
  after(async () => hf?.stop());

  test('a client that hangs up mid-body is logged at info as request_aborted, never as an error', async () => {
    const { port } = new URL(hf.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`POST /hooks/open HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"type":"go",`);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
      socket.on('error', reject);
    });
    const line = await eventually(() => lines.find((l) => l.code === 'request_aborted'), 5_000, 'the abort to be logged');
    assert.equal(line.level, 30, 'info');
    assert.deepEqual(
      lines.filter((l) => l.level >= 50),
      [],
      'no error lines',
    );
  });

  test('__proto__, constructor and prototype in the query are dropped; the rest arrives', async () => {
    const res = await fetch(`${hf.url}/hooks/open?__proto__=x&constructor=y&prototype=z&__proto__%5Bpolluted%5D=1&keep=me`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'go', id: `q-${Date.now()}` }),
    });
    assert.equal(res.status, 200);
    const wid = ((await res.json()) as { runs: Array<{ workflowId: string }> }).runs[0]!.workflowId;
    const history = await (await startedRun(hf.client!.client, wid)).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const input = hf.client!.client.options.loadedDataConverter.payloadConverter.fromPayload(payload!) as RunInput;
    assert.deepEqual(Object.keys(input.event.query), ['__proto__[polluted]', 'keep']);
    assert.equal(input.event.query['keep'], 'me');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  test('the hub.challenge echo is text/plain with X-Content-Type-Options: nosniff', async () => {
    const res = await fetch(`${hf.url}/hooks/open?hub.mode=subscribe&hub.challenge=${encodeURIComponent('<script>alert(1)</script>')}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(await res.text(), '<script>alert(1)</script>');
  });
});

test('stopping while a keep-alive client still sends pipelined requests (answered at once: 404) throws nothing', async () => {
  const hf = await start({});
  const thrown: unknown[] = [];
  const record = (err: unknown) => void thrown.push(err);
  process.on('uncaughtException', record);
  const { port } = new URL(hf.url);
  const socket = connect(Number(port), '127.0.0.1');
  socket.on('error', () => {});
  socket.on('data', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  try {
    // Pipelined: the connection is never idle, so requests keep arriving once stop() has begun.
    socket.write('GET /nope HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(300));
    await Promise.all([hf.stop(), new Promise((r) => setTimeout(r, 300))]);
  } finally {
    socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    process.off('uncaughtException', record);
  }
  assert.deepEqual(thrown.map(String), []);
});
