// Outbound steps through the real Temporal retry machinery: the spec's policy (503s retried with
// backoff, 429 + Retry-After honoured, 400 not retried), secrets kept out of history, and a worker
// SIGKILLed mid-run whose steps are all delivered after a restart with stable Idempotency-Keys.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { RunResult } from '../../src/core/types.js';
import { postJson, startTestHookflow, temporalAddress, uniqueTaskQueue, unsignedSource, resultOf, startedRun } from '../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';

const sources = unsignedSource('app');

describe('outbound policy on a real Temporal server', () => {
  let sink: HttpSink;
  let hf: Awaited<ReturnType<typeof startTestHookflow>>;
  const counts = new Map<string, number>();

  before(async () => {
    sink = await startSink({
      fallback: (req) => {
        const n = (counts.get(req.path) ?? 0) + 1;
        counts.set(req.path, n);
        if (req.path === '/flaky') return n <= 3 ? { status: 503, body: 'busy' } : { status: 200, body: { ok: true } };
        if (req.path === '/limited') return n === 1 ? { status: 429, headers: { 'retry-after': '2' }, body: 'slow down' } : { status: 200 };
        if (req.path === '/bad') return { status: 400, body: { error: 'missing field "name"' } };
        return { status: 200, body: { auth: req.headers.authorization ?? null } };
      },
    });
    hf = await startTestHookflow({
      recipes: {
        'sources.yaml': sources,
        'flaky.yaml': `name: flaky\non: { source: app, event: flaky }\nsteps:\n  - id: call\n    http: { url: "${sink.url}/flaky" }\n`,
        'limited.yaml': `name: limited\non: { source: app, event: limited }\nsteps:\n  - id: call\n    http: { url: "${sink.url}/limited" }\n`,
        'bad.yaml': `name: bad\non: { source: app, event: bad }\nsteps:\n  - id: call\n    http: { method: POST, url: "${sink.url}/bad", json: { x: 1 } }\n`,
        'secret.yaml': `name: secret\non: { source: app, event: secret }\nsteps:\n  - id: call\n    http:\n      url: "${sink.url}/secret"\n      headers: { Authorization: "Bearer {{ secret.API_TOKEN }}" }\n`,
      },
      env: { HOOKFLOW_SECRET_API_TOKEN: 'tok-5f1c2a-very-secret' },
    });
  });
  after(async () => {
    await hf?.stop();
    await sink?.close();
  });

  async function run(type: string, id: string): Promise<{ wid: string; outcome: RunResult | WorkflowFailedError }> {
    const res = await postJson(`${hf.url}/hooks/app`, { type, id });
    assert.equal(res.status, 200);
    const wid = res.json.runs[0].workflowId as string;
    const outcome = await (await startedRun(hf.client!.client, wid)).result().then(
      (r) => r as RunResult,
      (e: unknown) => e as WorkflowFailedError,
    );
    return { wid, outcome };
  }
  const arrivals = (path: string) => sink.requests.filter((r) => r.path === path);

  test('503 three times: retried with 1 s, 2 s, 4 s backoff, then delivered on attempt 4', async () => {
    const { wid, outcome } = await run('flaky', 'f1');
    const r = outcome as RunResult;
    assert.equal(r.status, 'completed');
    assert.equal(r.steps[0]!.attempts, 4);
    const times = arrivals('/flaky').map((a) => a.receivedAt);
    assert.equal(times.length, 4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Temporal's backoff: initial 1 s, factor 2, no jitter → at least 1 s, 2 s, 4 s between attempts
    // (timers never fire early; how much later depends on the machine, so no upper bound here).
    assert.ok(gaps[0]! >= 900, `gap 1 was ${gaps[0]} ms`);
    assert.ok(gaps[1]! >= 1800 && gaps[1]! > gaps[0]!, `gap 2 was ${gaps[1]} ms after ${gaps[0]} ms`);
    assert.ok(gaps[2]! >= 3600 && gaps[2]! > gaps[1]!, `gap 3 was ${gaps[2]} ms after ${gaps[1]} ms`);
    const keys = new Set(arrivals('/flaky').map((a) => a.headers['idempotency-key']));
    assert.deepEqual([...keys], [`${wid}/call`], 'the same Idempotency-Key on every attempt');
  });

  test('429 with Retry-After: 2 → the next attempt waits 2 s, not the 1 s backoff', async () => {
    const { outcome } = await run('limited', 'l1');
    assert.equal((outcome as RunResult).steps[0]!.attempts, 2);
    const [a, b] = arrivals('/limited');
    assert.ok(b!.receivedAt - a!.receivedAt >= 1900, `retried after ${b!.receivedAt - a!.receivedAt} ms`);
  });

  test('400 fails at once: one attempt, the run fails with the status and the response in the error', async () => {
    const { outcome } = await run('bad', 'b1');
    assert.ok(outcome instanceof WorkflowFailedError);
    assert.equal(arrivals('/bad').length, 1);
    const r = (outcome.cause as { details?: unknown[] }).details?.[0] as RunResult;
    assert.equal(r.steps[0]!.attempts, 1);
    assert.match(r.steps[0]!.error ?? '', /400/);
    assert.match(r.steps[0]!.error ?? '', /missing field/);
  });

  test('a secret reaches the API but never the workflow history', async () => {
    const { wid, outcome } = await run('secret', 's1');
    assert.equal((outcome as RunResult).status, 'completed');
    assert.equal(arrivals('/secret')[0]!.headers.authorization, 'Bearer tok-5f1c2a-very-secret');
    const history = await hf.client!.client.workflow.getHandle(wid).fetchHistory();
    // Walk the protobuf objects themselves (their toJSON would base64 the payload bytes) and keep every string.
    const parts: string[] = [];
    const walk = (v: unknown): void => {
      if (v instanceof Uint8Array) parts.push(Buffer.from(v).toString('utf8'));
      else if (typeof v === 'string') parts.push(v);
      else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
    };
    walk(history);
    const text = parts.join('\n');
    assert.ok(text.includes('API_TOKEN'), 'the history names the secret');
    assert.ok(!text.includes('tok-5f1c2a-very-secret'), 'but never holds its value');
  });
});

describe('worker SIGKILLed in the middle of a run', () => {
  let sink: HttpSink;
  let ingress: Awaited<ReturnType<typeof startTestHookflow>>;
  const workers: ChildProcess[] = [];
  const taskQueue = uniqueTaskQueue('kill');

  function spawnWorker(): ChildProcess {
    const child = spawn(process.execPath, ['bin/hookflow.mjs', 'worker'], {
      env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_TASK_QUEUE: taskQueue, HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1', LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    workers.push(child);
    return child;
  }

  before(async () => {
    // Each call takes 700 ms, so the kill lands while steps are pending.
    sink = await startSink({ fallback: { status: 200, delayMs: 700 } });
    ingress = await startTestHookflow({
      taskQueue,
      roles: { ingress: true, worker: false },
      recipes: {
        'sources.yaml': sources,
        'fanout.yaml': `name: fanout\non: { source: app, event: fanout }\nsteps:\n  - id: each\n    for_each: "[1, 2, 3, 4, 5, 6]"\n    as: n\n    steps:\n      - id: call\n        http: { url: "${sink.url}/n/{{ n }}" }\n`,
      },
    });
  });
  after(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await ingress?.stop();
    await sink?.close();
  });

  test('after a restart the run completes, every step is delivered, repeats carry the same Idempotency-Key', async () => {
    const first = spawnWorker();
    const res = await postJson(`${ingress.url}/hooks/app`, { type: 'fanout', id: 'k1' });
    assert.equal(res.status, 200);
    const wid = res.json.runs[0].workflowId as string;
    await sink.waitForRequests(2, 30_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const seenBeforeKill = sink.requests.length;
    spawnWorker();
    const r = await resultOf<RunResult>(ingress.client!.client, wid);
    assert.equal(r.status, 'completed');
    const byPath = new Map<string, Set<string>>();
    for (const req of sink.requests) {
      const keys = byPath.get(req.path) ?? new Set<string>();
      keys.add(req.headers['idempotency-key'] ?? '');
      byPath.set(req.path, keys);
    }
    assert.deepEqual(
      [...byPath.keys()].sort(),
      [1, 2, 3, 4, 5, 6].map((n) => `/n/${n}`),
    );
    for (const [path, keys] of byPath) {
      const n = path.split('/').pop();
      assert.deepEqual([...keys], [`${wid}/each[${Number(n) - 1}].call`], `${path} repeats carry one key`);
    }
    assert.ok(seenBeforeKill >= 2 && seenBeforeKill < 6, `the kill came mid-run (${seenBeforeKill} calls before it)`);
  });
});
