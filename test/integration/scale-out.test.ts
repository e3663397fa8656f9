// hookflow beyond one process: `hookflow serve` and two `hookflow worker` processes (the real CLI,
// spawned) against the test run's Temporal server, on their own task queue. Checks /healthz before
// and after a worker polls, that every run completes on the workers, and graceful shutdown: SIGTERM
// to a worker lets its in-flight activity finish; a worker SIGKILLed inside a local-activity step
// leaves the step to another worker with the same Idempotency-Key; SIGTERM to serve answers the
// request in flight.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { hostname } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { RunResult } from '../../src/core/types.js';
import {
  eventually,
  freePort,
  postJson,
  recipesDir,
  temporalAddress,
  uniqueTaskQueue,
  unsignedSource,
  resultOf,
  startedRun,
  journalFile,
} from '../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';
import { spawnHookflow, waitForOutput, type Proc } from '../helpers/processes.js';

/** An HTTP server that answers after `delayMs` and records whether each answer was sent in full. */
interface SlowCall {
  at: number;
  path: string;
  key: string | undefined;
  finished: boolean;
  aborted: boolean;
}

async function startSlowSink(delayMs: number): Promise<{ url: string; calls: SlowCall[]; close(): Promise<void> }> {
  const calls: SlowCall[] = [];
  const server = http.createServer((req, res) => {
    const key = req.headers['idempotency-key'];
    const call: SlowCall = { at: Date.now(), path: req.url ?? '', key: typeof key === 'string' ? key : undefined, finished: false, aborted: false };
    calls.push(call);
    req.resume();
    res.on('finish', () => (call.finished = true));
    res.on('close', () => (call.aborted = !call.finished));
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"slow":"done"}'), delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

const recipes = (fast: string, slow: string): Record<string, string> => ({
  'sources.yaml': unsignedSource('app'),
  'fanout.yaml': `
name: fanout
on: { source: app, event: ping }
steps:
  - id: call
    mode: activity
    http: { method: POST, url: "${fast}/ping/{{ event.id }}" }
`,
  'slow.yaml': `
name: slow
on: { source: app, event: slow }
steps:
  - id: slow_call
    mode: activity
    retry: { attempts: 3, initial: 100ms }
    http: { method: POST, url: "${slow}/slow/{{ event.id }}" }
`,
  'slow-local.yaml': `
name: slow-local
on: { source: app, event: slow-local }
steps:
  - id: slow_call
    retry: { attempts: 3, initial: 100ms }
    http: { method: POST, url: "${slow}/slow-local/{{ event.id }}" }
`,
});

describe('hookflow serve + two hookflow worker processes', () => {
  const taskQueue = uniqueTaskQueue('scale');
  const procs: Proc[] = [];
  let serve: Proc;
  let workers: Proc[] = [];
  let base = '';
  let fast: HttpSink;
  let slow: Awaited<ReturnType<typeof startSlowSink>>;
  let connection: Connection;
  let client: Client;
  let env: Record<string, string | undefined>;
  let early = '';

  before(async () => {
    fast = await startSink();
    slow = await startSlowSink(2_000);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const dir = recipesDir(recipes(fast.url, slow.url));
    env = {
      ...process.env,
      PORT: String(port),
      PUBLIC_URL: base,
      RECIPES_DIR: dir,
      // serve and the workers share one journal, as processes of one deployment on one machine do.
      HOOKFLOW_JOURNAL_URL: journalFile(),
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1,::1,localhost',
      LOG_LEVEL: 'info',
    };
    connection = await Connection.connect({ address: temporalAddress() });
    client = new Client({ connection });
    serve = spawnHookflow('serve', env);
    procs.push(serve);
    await waitForOutput(serve, /hookflow is up/);
  });

  after(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await connection?.close();
    await fast?.close();
    await slow?.close();
  });

  test('before any worker polls: /healthz is 200 (webhooks are accepted) and says no worker polls the task queue; a webhook is accepted durably', async () => {
    const res = await fetch(`${base}/healthz`);
    const body = (await res.json()) as { ok: boolean; temporal: { ok: boolean; reason?: string } };
    assert.equal(res.status, 200);
    assert.equal(body.ok, true);
    assert.equal(body.temporal.ok, false);
    assert.ok(body.temporal.reason?.includes(`"${taskQueue}"`), `reason should name the task queue: ${body.temporal.reason}`);
    const r = await postJson(`${base}/hooks/app`, { type: 'ping', id: 'early' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    early = r.json.runs[0].workflowId;
  });

  test('once workers poll, /healthz is 200 and every run completes on a worker process', async (t) => {
    // The first worker also serves its own /metrics and /healthz (METRICS_PORT): a worker alone has no ingress.
    const metricsPort = await freePort();
    workers = [spawnHookflow('worker', { ...env, METRICS_PORT: String(metricsPort) }), spawnHookflow('worker', env)];
    procs.push(...workers);
    await Promise.all(workers.map((w) => waitForOutput(w, /polling task queue/)));
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status, 200);
    await eventually(
      async () => (((await (await fetch(`${base}/healthz`)).json()) as { temporal: { ok: boolean } }).temporal.ok ? true : undefined),
      30_000,
      '/healthz to see the workers poll',
    );

    const N = 10;
    const ids = [early];
    for (let i = 0; i < N; i++) {
      const r = await postJson(`${base}/hooks/app`, { type: 'ping', id: `p${i}` });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      ids.push(r.json.runs[0].workflowId);
    }
    const results = await Promise.all(ids.map((id) => resultOf<RunResult>(client, id)));
    assert.deepEqual(
      results.map((r) => r.status),
      ids.map(() => 'completed'),
    );
    assert.equal(fast.requests.length, N + 1);
    assert.deepEqual(new Set(fast.requests.map((r) => r.path)), new Set(['/ping/early', ...Array.from({ length: N }, (_, i) => `/ping/p${i}`)]));

    // Only the worker processes ran activities; serve has no worker.
    const identities = new Set(workers.map((w) => `${w.pid}@${hostname()}`));
    const ran = new Map<string, number>();
    for (const id of ids) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      for (const e of history.events ?? []) {
        const who = e.activityTaskStartedEventAttributes?.identity;
        if (who) ran.set(who, (ran.get(who) ?? 0) + 1);
      }
    }
    for (const who of ran.keys()) assert.ok(identities.has(who), `activity ran on ${who}, which is not one of the workers ${[...identities].join(', ')}`);
    assert.equal(
      [...ran.values()].reduce((a, b) => a + b, 0),
      N + 1,
    );
    const scrape = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const okAttempts = Number(/hookflow_step_attempts_total\{kind="http",outcome="ok"\} (\d+)/.exec(scrape)?.[1] ?? 0);
    assert.equal(okAttempts, ran.get(`${workers[0]!.pid}@${hostname()}`) ?? 0, 'the worker counts the attempts it ran');
    t.diagnostic(`activities per worker: ${[...ran].map(([who, n]) => `${who}=${n}`).join(', ')}`);
  });

  test('SIGTERM to a worker lets its in-flight activity finish: the sink answered, the run completes on attempt 1', async (t) => {
    const r = await postJson(`${base}/hooks/app`, { type: 'slow', id: 's1' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const handle = await startedRun(client, r.json.runs[0].workflowId as string);
    await eventually(() => (slow.calls.length === 1 ? true : undefined), 30_000, 'the slow sink to be called');

    const pending = await eventually(
      async () => (await handle.describe()).raw.pendingActivities?.[0]?.lastWorkerIdentity || undefined,
      10_000,
      'the pending activity',
    );
    const busy = workers.find((w) => pending === `${w.pid}@${hostname()}`);
    assert.ok(busy, `the activity runs on ${pending}, not on a worker of this test`);
    const sigtermAt = Date.now();
    busy.child.kill('SIGTERM');

    const exit = await busy.exited;
    assert.equal(exit.code, 0, `the worker exited with ${exit.code ?? exit.signal}:\n${busy.output()}`);
    assert.match(busy.output(), /SIGTERM: stopping/);
    const call = slow.calls[0]!;
    assert.ok(call.finished && !call.aborted, 'the sink should have sent its whole answer');
    assert.ok(exit.at >= call.at + 2_000 - 50, `the worker exited ${exit.at - sigtermAt} ms after SIGTERM, before the 2 s activity could finish`);

    const result = (await handle.result()) as RunResult;
    assert.equal(result.status, 'completed');
    assert.equal(result.steps[0]?.attempts, 1, 'the activity was not retried');
    assert.equal(slow.calls.length, 1, 'the sink was called once');
    t.diagnostic(`worker exited ${exit.at - sigtermAt} ms after SIGTERM (the activity had ${call.at + 2_000 - sigtermAt} ms to go)`);
  });

  test('a worker SIGKILLed inside a local-activity step: another worker runs the step again with the same Idempotency-Key and completes the run', async (t) => {
    const [survivor] = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    assert.ok(survivor, 'one worker is left from the test before');
    const before = slow.calls.length;
    const r = await postJson(`${base}/hooks/app`, { type: 'slow-local', id: 'k1' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const handle = await startedRun(client, r.json.runs[0].workflowId as string);
    await eventually(() => (slow.calls.length === before + 1 ? true : undefined), 30_000, 'the slow sink to be called by the local activity');
    // A local activity is not scheduled through the server: it shows as no pending activity.
    assert.equal((await handle.describe()).raw.pendingActivities?.length ?? 0, 0);
    const killedAt = Date.now();
    survivor.child.kill('SIGKILL');
    await survivor.exited;
    const next = spawnHookflow('worker', env);
    procs.push(next);
    workers.push(next);
    await waitForOutput(next, /polling task queue/);

    const result = (await handle.result()) as RunResult;
    assert.equal(result.status, 'completed', JSON.stringify(result));
    const calls = slow.calls.slice(before);
    assert.equal(calls.length, 2, 'the step ran once on the killed worker and once on the new one');
    assert.ok(calls[0]!.aborted, 'the first call was cut by the SIGKILL');
    assert.ok(calls[0]!.key && calls[0]!.key === calls[1]!.key, `both attempts carry one Idempotency-Key: ${calls.map((c) => c.key).join(', ')}`);
    const history = await handle.fetchHistory();
    const markers = (history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    assert.equal(markers.length, 1, 'the step is one local-activity marker in the history');
    assert.equal((history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length, 0, 'no regular activity was scheduled');
    t.diagnostic(`the run completed ${Date.now() - killedAt} ms after the SIGKILL`);
  });

  test('SIGTERM to serve finishes the request in flight and refuses new connections', async (t) => {
    const body = JSON.stringify({ type: 'ping', id: 'in-flight' });
    const half = Math.floor(body.length / 2);
    let sendRest = (): void => {};
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        `${base}/hooks/app`,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(body.length) } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, half));
      // The rest of the body goes once serve is stopping.
      sendRest = () => req.end(body.slice(half));
    });
    await new Promise((r) => setTimeout(r, 300));
    const sigtermAt = Date.now();
    serve.child.kill('SIGTERM');
    await waitForOutput(serve, /SIGTERM: stopping/, 10_000);
    await assert.rejects(fetch(`${base}/healthz`), 'a stopping serve should not accept new connections');
    sendRest();

    const res = await answer;
    assert.equal(res.status, 200, res.text);
    const json = JSON.parse(res.text) as { runs: Array<{ workflowId: string }> };
    assert.equal(json.runs[0]?.workflowId, 'fanout/app/in-flight');
    const exit = await serve.exited;
    assert.equal(exit.code, 0, serve.output());
    t.diagnostic(`serve exited ${exit.at - sigtermAt} ms after SIGTERM`);
    // The run was stored before the answer: the remaining worker completes it.
    const result = await resultOf<RunResult>(client, 'fanout/app/in-flight');
    assert.equal(result.status, 'completed');
  });
});
