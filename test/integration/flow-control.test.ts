// Flow control (spec §7) on a real Temporal server: debounce (a burst → one run seeing every event,
// last event last; a provider's retry counted once; another key → its own run), concurrency 1 (runs
// of one key one at a time, in arrival order), batch of 3 with a timeout (7 events → 3, 3, 1) across
// a worker restart in the middle, and throttle (starts spaced as declared, none dropped).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { FlowView } from '../../src/core/flow.js';
import type { Recipe, RunResult } from '../../src/core/types.js';
import { eventually, postJson, resultOf, startTestHookflow, uniqueTaskQueue, unsignedSource } from '../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';

type Hf = Awaited<ReturnType<typeof startTestHookflow>>;

const recipes = (sink: string) => ({
  'sources.yaml': unsignedSource('app'),
  'digest.yaml': `
name: digest
on: { source: app, event: chat }
debounce: { key: event.channel, period: 3s, max_wait: 1m }
steps:
  - http:
      method: POST
      url: "${sink}/digest/{{ event.channel }}"
      json: { texts: "{{ events.map(e, e.text) }}", last: "{{ event.text }}" }
`,
  'serial.yaml': `
name: serial
on: { source: app, event: order }
concurrency: { key: event.customer, limit: 1 }
steps:
  - delay: 1s
  - log: "order {{ event.n }} done"
`,
  'batched.yaml': `
name: batched
on: { source: app, event: row }
batch: { size: 3, timeout: 3s }
steps:
  - set: { ns: "{{ events.map(e, e.n) }}", last: "{{ event.n }}" }
`,
  'spaced.yaml': `
name: spaced
on: { source: app, event: ping }
throttle: { limit: 2, period: 1s }
steps:
  - log: "ping {{ event.n }}"
`,
});

/** Posts one event and waits until the dispatcher has handed it to Temporal (its run is `started`). */
async function send(hf: Hf, body: Record<string, unknown>): Promise<string> {
  const res = await postJson(`${hf.url}/hooks/app`, body);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  const request = res.json.request as string;
  await eventually(
    async () => {
      const detail = await hf.journal!.getRequest(request);
      return detail && detail.runs.length > 0 && detail.runs.every((r) => r.state === 'started') ? true : undefined;
    },
    20_000,
    `request ${request} to be dispatched`,
  );
  return request;
}

function recipeOf(hf: Hf, name: string): Recipe {
  const r = hf.recipes!.current.recipes.find((x) => x.name === name);
  assert.ok(r, `recipe ${name} is loaded`);
  return r;
}

/** The state of the recipe's entity for the key of `body` (its query). */
async function flowState(hf: Hf, recipe: string, body: Record<string, unknown>): Promise<FlowView> {
  return hf.client!.flowState(recipeOf(hf, recipe), {
    source: 'app',
    type: String(body['type']),
    id: String(body['id']),
    received_at: new Date().toISOString(),
    body: body as never,
    headers: {},
    query: {},
  });
}

describe('flow control (real Temporal)', () => {
  let sink: HttpSink;
  let ingress: Hf;
  let worker: Hf;
  const taskQueue = uniqueTaskQueue('flow');
  let client: Client;
  before(async () => {
    sink = await startSink();
    ingress = await startTestHookflow({ recipes: recipes(sink.url), taskQueue, roles: { ingress: true, worker: false } });
    worker = await startTestHookflow({ recipes: recipes(sink.url), taskQueue, roles: { ingress: false, worker: true } });
    client = ingress.client!.client;
  });
  after(async () => {
    await ingress?.stop();
    await worker?.stop();
    await sink?.close();
  });

  test('debounce: a burst of 5 plus a retry → one run seeing the 5 events, last event last; another key → its own run', async () => {
    const texts = ['a', 'b', 'c', 'd', 'e'];
    for (const [i, text] of texts.entries()) {
      await send(ingress, { type: 'chat', id: `d-${i}`, channel: 'c1', text });
      if (i === 2) {
        // The provider retries delivery d-1: answered as a duplicate, counted once.
        const retry = await postJson(`${ingress.url}/hooks/app`, { type: 'chat', id: 'd-1', channel: 'c1', text: 'b' });
        assert.equal(retry.json.runs[0].duplicate, true);
      }
    }
    await send(ingress, { type: 'chat', id: 'd-other', channel: 'c2', text: 'z' });
    // A repeated start of d-3 (a dispatcher that crashed after signalling) reaches the entity itself.
    const ev = {
      source: 'app',
      type: 'chat',
      id: 'd-3',
      received_at: new Date().toISOString(),
      body: { type: 'chat', id: 'd-3', channel: 'c1', text: 'd' },
      headers: {},
      query: {},
    };
    await ingress.client!.startRun(recipeOf(ingress, 'digest'), ev, { workflowId: 'digest/app/d-3' });

    const got = await sink.waitForRequests(2, 30_000);
    const c1 = got.filter((r) => r.path === '/digest/c1');
    const c2 = got.filter((r) => r.path === '/digest/c2');
    assert.equal(c1.length, 1);
    assert.equal(c2.length, 1);
    assert.deepEqual(JSON.parse(c1[0]!.body), { texts, last: 'e' });
    assert.deepEqual(JSON.parse(c2[0]!.body), { texts: ['z'], last: 'z' });
    const state = await flowState(ingress, 'digest', { type: 'chat', id: 'x', channel: 'c1' });
    assert.deepEqual({ started: state.started, gathering: state.gathering, waiting: state.waiting }, { started: ['digest/app/d-0'], gathering: 0, waiting: 0 });
    const run = await resultOf<RunResult>(client, 'digest/app/d-0');
    assert.equal(run.status, 'completed');
    assert.equal(run.event.id, 'd-4', "the run's event is the last one");
  });

  test('concurrency 1: three events of one key run one at a time, in arrival order', async () => {
    for (const n of [1, 2, 3]) await send(ingress, { type: 'order', id: `o-${n}`, customer: 'k1', n });
    const runs = [];
    for (const n of [1, 2, 3]) {
      const id = `serial/app/o-${n}`;
      assert.equal((await resultOf<RunResult>(client, id, 30_000)).status, 'completed');
      runs.push(await client.workflow.getHandle(id).describe());
    }
    for (let i = 1; i < runs.length; i++) {
      const prev = runs[i - 1]!;
      const next = runs[i]!;
      assert.ok(prev.closeTime, 'the earlier run has closed');
      assert.ok(
        next.startTime.getTime() >= prev.closeTime.getTime(),
        `run ${i + 1} started at ${next.startTime.toISOString()}, before run ${i} ended at ${prev.closeTime.toISOString()}`,
      );
    }
  });

  test('batch of 3 with a timeout: 7 events → runs of 3, 3 and 1, across a worker restart in the middle', async () => {
    for (const n of [1, 2, 3, 4]) await send(ingress, { type: 'row', id: `r-${n}`, n });
    assert.deepEqual((await resultOf<RunResult>(client, 'batched/app/r-1', 30_000)).vars, { ns: [1, 2, 3], last: 3 });
    // Event 4 waits in the entity's batch, with its timer. The worker goes; events 5–7 arrive meanwhile.
    await worker.stop();
    for (const n of [5, 6, 7]) await send(ingress, { type: 'row', id: `r-${n}`, n });
    worker = await startTestHookflow({ recipes: recipes(sink.url), taskQueue, roles: { ingress: false, worker: true } });
    assert.deepEqual((await resultOf<RunResult>(client, 'batched/app/r-4', 30_000)).vars, { ns: [4, 5, 6], last: 6 });
    assert.deepEqual((await resultOf<RunResult>(client, 'batched/app/r-7', 30_000)).vars, { ns: [7], last: 7 });
    const state = await eventually(async () => {
      const s = await flowState(ingress, 'batched', { type: 'row', id: 'x' });
      return s.startedTotal === 3 ? s : undefined;
    });
    assert.deepEqual(state.started, ['batched/app/r-1', 'batched/app/r-4', 'batched/app/r-7']);
    assert.equal(state.gathering, 0);
  });

  test('throttle 2/s: 6 events → 6 runs, starts at least 500 ms apart, none dropped', async () => {
    for (const n of [1, 2, 3, 4, 5, 6]) await send(ingress, { type: 'ping', id: `p-${n}`, n });
    const starts: number[] = [];
    for (const n of [1, 2, 3, 4, 5, 6]) {
      const id = `spaced/app/p-${n}`;
      assert.equal((await resultOf<RunResult>(client, id, 30_000)).status, 'completed');
      starts.push((await client.workflow.getHandle(id).describe()).startTime.getTime());
    }
    for (let i = 1; i < starts.length; i++) {
      // Each start waits for its turn on a durable timer: never sooner than period / limit after the last.
      assert.ok(starts[i]! - starts[i - 1]! >= 490, `starts ${i} and ${i + 1} are ${starts[i]! - starts[i - 1]!} ms apart`);
    }
  });
});
