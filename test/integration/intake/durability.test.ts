// The intake's promises under failure, with the real CLI as child processes and a real Temporal:
// - SIGKILL of the whole process group in the middle of a burst, then a restart: every webhook
//   answered 2xx reaches the sink, each in one run (a repeat of an interrupted call carries the same
//   Idempotency-Key), and nothing answered 2xx is missing;
// - the journal's disk full: 503 + Retry-After, never a 2xx without a committed delivery, and
//   webhooks accepted again once there is room;
// - two `serve` and two `worker` processes on one PostgreSQL journal: each delivery runs once,
//   whichever ingress took it, however many times it was sent.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import {
  eventually,
  freePort,
  postJson,
  recipesDir,
  resultOf,
  startTestHookflow,
  temporalAddress,
  uniqueTaskQueue,
  unsignedSource,
  journalFile,
} from '../../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../../helpers/http-sink.js';
import { createTestDatabase } from '../../helpers/postgres.js';
import { killAll, spawnHookflow, waitForOutput, type Proc } from '../../helpers/processes.js';

const relay = (sink: string) => ({
  'sources.yaml': unsignedSource('app'),
  'relay.yaml': `
name: relay
on: { source: app, event: ping }
steps:
  - id: post
    http: { method: POST, url: "${sink}/got/{{ event.id }}" }
`,
});

/** Sends `ids` with `inFlight` requests at a time; resolves with the ids answered 2xx and the other statuses. */
async function burst(url: (i: number) => string, ids: string[], inFlight: number, onAnswer?: (done: number) => void) {
  const ok = new Set<string>();
  const other = new Map<string, number>();
  let next = 0;
  let done = 0;
  const lane = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= ids.length) return;
      const id = ids[i]!;
      try {
        const r = await fetch(url(i), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'ping', id }),
          signal: AbortSignal.timeout(15_000),
        });
        await r.arrayBuffer();
        if (r.status >= 200 && r.status < 300) ok.add(id);
        else other.set(String(r.status), (other.get(String(r.status)) ?? 0) + 1);
      } catch {
        other.set('no answer', (other.get('no answer') ?? 0) + 1);
      }
      onAnswer?.(++done);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { ok, other };
}

/** Sink arrivals grouped by event id: the distinct Idempotency-Keys each id arrived with. */
function keysById(sink: HttpSink): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of sink.requests) {
    const id = r.path.replace('/got/', '');
    const set = out.get(id) ?? new Set<string>();
    set.add(r.headers['idempotency-key'] ?? '');
    out.set(id, set);
  }
  return out;
}

describe('intake durability (child processes, real Temporal)', () => {
  const procs: Proc[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    await killAll(procs);
    for (const c of cleanups) await c().catch(() => {});
  });

  test('SIGKILL of the process group mid-burst, then a restart: every 2xx reaches the sink, in one run each', async (t) => {
    const sink = await startSink();
    cleanups.push(() => sink.close());
    const dir = recipesDir(relay(sink.url));
    const port = await freePort();
    const env = {
      ...process.env,
      PORT: String(port),
      RECIPES_DIR: dir,
      HOOKFLOW_JOURNAL_URL: journalFile(),
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('sigkill'),
      HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    const first = spawnHookflow('start', env, { detached: true });
    procs.push(first);
    await waitForOutput(first, /hookflow is up/);

    const ids = Array.from({ length: 1200 }, (_, i) => `k-${i}`);
    let killedAt = 0;
    const sent = burst(
      () => `http://127.0.0.1:${port}/hooks/app`,
      ids,
      100,
      (done) => {
        if (done === 500 && !killedAt) {
          killedAt = Date.now();
          process.kill(-first.pid, 'SIGKILL'); // the whole group: hookflow and anything it spawned
        }
      },
    );
    const { ok, other } = await sent;
    await first.exited;
    t.diagnostic(`answered 2xx before the kill: ${ok.size}; others: ${JSON.stringify(Object.fromEntries(other))}`);
    assert.ok(ok.size >= 400, `only ${ok.size} answers before the kill`);
    assert.ok(ok.size < ids.length, 'the kill came mid-burst');

    const second = spawnHookflow('start', env, { detached: true });
    procs.push(second);
    await waitForOutput(second, /hookflow is up/);
    await eventually(() => ([...ok].every((id) => keysById(sink).has(id)) ? true : undefined), 120_000, 'every acknowledged webhook to reach the sink');
    const byId = keysById(sink);
    const missing = [...ok].filter((id) => !byId.has(id));
    assert.deepEqual(missing, [], 'acknowledged webhooks lost');
    const twoRuns = [...byId].filter(([, keys]) => keys.size !== 1);
    assert.deepEqual(twoRuns, [], 'an event delivered by two different runs');
    const repeats = sink.requests.length - byId.size;
    t.diagnostic(`sink: ${byId.size} ids, ${sink.requests.length} requests (${repeats} repeats of an interrupted call, same Idempotency-Key)`);
    process.kill(-second.pid, 'SIGTERM');
    await second.exited;
  });

  test('disk full under the journal: 503 + Retry-After, no 2xx without a committed delivery, accepted again once there is room', async (t) => {
    const sink = await startSink();
    cleanups.push(() => sink.close());
    const mount = mkdtempSync(path.join(tmpdir(), 'hookflow-full-'));
    let tmpfs = false;
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mount], { stdio: 'ignore' });
      tmpfs = true;
      cleanups.push(async () => void execFileSync('umount', ['-l', mount], { stdio: 'ignore' }));
    } catch {
      t.diagnostic('cannot mount a tmpfs here (not root): using SQLite max_page_count to fill the journal instead');
    }
    const journal = path.join(mount, 'intake.db');
    const hf = await startTestHookflow({ recipes: relay(sink.url), env: { HOOKFLOW_JOURNAL_URL: tmpfs ? journal : `sqlite:${journal}?max_pages=400` } });
    cleanups.push(() => hf.stop());
    // Leave ~1 MiB of room: a filler file takes the rest of the tmpfs.
    const filler = path.join(mount, 'filler');
    if (tmpfs) {
      mkdirSync(mount, { recursive: true });
      try {
        writeFileSync(filler, Buffer.alloc(1800 * 1024));
      } catch {
        /* the tmpfs is full already: fine */
      }
    }
    const pad = 'x'.repeat(16 * 1024);
    const accepted: string[] = [];
    let refused = 0;
    for (let i = 0; i < 400 && refused < 5; i++) {
      const r = await postJson(`${hf.url}/hooks/app`, { type: 'ping', id: `f-${i}`, pad });
      if (r.status === 200) accepted.push(`f-${i}`);
      else {
        assert.equal(r.status, 503, JSON.stringify(r.json));
        assert.equal(r.json.error.code, 'journal_unavailable');
        assert.equal(r.headers.get('retry-after'), '5');
        refused++;
      }
    }
    t.diagnostic(`accepted ${accepted.length} before the disk filled up, then ${refused} × 503`);
    assert.ok(refused >= 5, 'the journal never filled up');
    assert.ok(accepted.length > 0);
    // Every 2xx is a committed delivery whose run happens.
    for (const id of accepted) await resultOf(hf.client!.client, `relay/app/${id}`, 60_000);
    assert.deepEqual(new Set(accepted), new Set([...keysById(sink).keys()].filter((k) => k.startsWith('f-'))));

    // Room again.
    if (tmpfs) rmSync(filler, { force: true });
    else await hf.journal!.prune(Date.now() + 1); // the fallback: make room inside the page limit
    const back = await eventually(
      async () => {
        const r = await postJson(`${hf.url}/hooks/app`, { type: 'ping', id: 'after-room', pad: 'small' });
        return r.status === 200 ? r : undefined;
      },
      30_000,
      'webhooks to be accepted again',
    );
    assert.equal(back.json.runs[0].state, 'queued');
    await resultOf(hf.client!.client, 'relay/app/after-room', 60_000);
  });

  test('two serve and two worker processes on one PostgreSQL journal: each delivery runs once', async (t) => {
    const db = await createTestDatabase('two');
    cleanups.push(() => db.drop());
    const sink = await startSink();
    cleanups.push(() => sink.close());
    const dir = recipesDir(relay(sink.url));
    const taskQueue = uniqueTaskQueue('pg2');
    const env = {
      ...process.env,
      RECIPES_DIR: dir,
      HOOKFLOW_JOURNAL_URL: db.url,
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    const ports = [await freePort(), await freePort()];
    const serves = ports.map((port) => spawnHookflow('serve', { ...env, PORT: String(port) }));
    const workers = [spawnHookflow('worker', env), spawnHookflow('worker', env)];
    procs.push(...serves, ...workers);
    await Promise.all([...serves.map((s) => waitForOutput(s, /hookflow is up/)), ...workers.map((w) => waitForOutput(w, /polling task queue/))]);

    // 300 deliveries, each sent to both ingress processes (a provider's retry landing elsewhere).
    const ids = Array.from({ length: 300 }, (_, i) => `pg-${i}`);
    const both = [...ids, ...ids];
    const { ok, other } = await burst((i) => `http://127.0.0.1:${ports[i % 2]}/hooks/app`, both, 60);
    assert.equal(ok.size, ids.length, `not all accepted: ${JSON.stringify(Object.fromEntries(other))}`);
    await eventually(() => (keysById(sink).size >= ids.length ? true : undefined), 120_000, 'every delivery to reach the sink');
    await new Promise((r) => setTimeout(r, 1000));
    const byId = keysById(sink);
    assert.deepEqual(new Set(byId.keys()), new Set(ids));
    assert.deepEqual(
      [...byId].filter(([, k]) => k.size !== 1),
      [],
      'a delivery ran twice',
    );
    const connection = await Connection.connect({ address: temporalAddress() });
    try {
      let runs = 0;
      for await (const _ of new Client({ connection }).workflow.list({ query: `TaskQueue = "${taskQueue}"` })) runs++;
      assert.equal(runs, ids.length, 'one workflow per delivery');
    } finally {
      await connection.close();
    }
    t.diagnostic(`${ids.length} deliveries sent twice each to two ingress processes → ${byId.size} runs, ${sink.requests.length} sink requests`);
  });
});
