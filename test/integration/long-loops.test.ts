// Long for_each loops on a real Temporal server: run in chunks (child workflows), every iteration
// done once, `concurrency` kept across chunks, `set` changes carried from chunk to chunk, a readable
// run record (counts and a sample, not every step), other runs kept moving, and the limits failing
// at once with a message that names them. The 20,000-item versions are in `npm run bench`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import type { RunResult } from '../../src/core/types.js';
import { workflowBundle } from '../../src/temporal/worker.js';
import { CHUNK_ITERATIONS, MAX_ITERATIONS } from '../../src/core/loops.js';
import { eventually, postJson, resultOf, startTestHookflow, unsignedSource } from '../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';

const recipes = (sink: string) => ({
  'sources.yaml': unsignedSource('app'),
  'tally.yaml': `
name: tally
on: { source: app, event: tally }
vars: { total: 0 }
steps:
  - for_each: event.items
    as: n
    steps:
      - set: { total: "{{ vars.total + n }}", last: "{{ n }}" }
  - log: "total {{ vars.total }}"
`,
  'fanout.yaml': `
name: fanout
on: { source: app, event: fanout }
steps:
  - id: deliver
    for_each: event.items
    as: n
    concurrency: 20
    steps:
      - id: post
        continue_on_error: true
        retry: { attempts: 1 }
        timeout: 30s
        http: { method: POST, url: "${sink}/item/{{ n }}" }
  - log: "posted {{ size(steps.deliver) }}"
`,
  'quick.yaml': `
name: quick
on: { source: app, event: quick }
steps:
  - http: { method: POST, url: "${sink}/quick/{{ event.id }}" }
`,
  'huge.yaml': `
name: huge
on: { source: app, event: huge }
steps:
  - for_each: event.items
    steps:
      - log: never
`,
});

describe('long loops (real Temporal)', () => {
  let sink: HttpSink;
  let hf: Awaited<ReturnType<typeof startTestHookflow>>;

  before(async () => {
    const inFlight = 0;
    sink = await startSink({
      fallback: (req) => {
        if (!req.path.startsWith('/item/')) return { status: 200, body: { ok: true } };
        const n = Number(req.path.slice(6));
        // Item 7 is refused: a failed iteration recorded, the loop goes on (continue_on_error).
        return n === 7 ? { status: 400, body: 'no' } : { status: 200, body: { n, inFlight } };
      },
    });
    hf = await startTestHookflow({ recipes: recipes(sink.url) });
  });
  after(async () => {
    await hf?.stop();
    await sink?.close();
  });

  test(`set steps over ${CHUNK_ITERATIONS * 8} items: chunked, vars carried across chunks, one summary record`, async () => {
    const items = Array.from({ length: CHUNK_ITERATIONS * 8 }, (_, i) => i + 1);
    const res = await postJson(`${hf.url}/hooks/app`, { type: 'tally', id: 't-1', items });
    assert.equal(res.status, 200);
    const r = await resultOf<RunResult>(hf.client!.client, 'tally/app/t-1', 120_000);
    assert.equal(r.status, 'completed');
    const sum = (items.length * (items.length + 1)) / 2;
    assert.equal(r.vars.total, sum, 'every iteration ran once, in order, each seeing the vars of the ones before');
    assert.equal(r.vars.last, items.length);
    assert.equal(r.logs[0]?.message, `total ${sum}`);
    const loop = r.steps.find((s) => s.kind === 'for_each')!;
    assert.match(loop.output ?? '', /^2000 iteration\(s\): 2000 ok \(step records of the first 3 iterations/);
    assert.ok(r.steps.length < 20, `the record stays readable: ${r.steps.length} step records`);
    // The chunks ran as children of the run.
    const children: string[] = [];
    for await (const w of hf.client!.client.workflow.list({ query: `WorkflowId STARTS_WITH "tally/app/t-1/~loop/"` })) children.push(w.workflowId);
    assert.equal(children.length, 8);
  });

  test('http steps over 600 items with concurrency 20: each delivered once, at most 20 at a time, results collected; a run started meanwhile is not held up', async () => {
    const items = Array.from({ length: 600 }, (_, i) => i);
    let peak = 0;
    let current = 0;
    // The first 20 items are held by the sink until a run started meanwhile has completed: the loop
    // is at its concurrency limit, every slot waiting, and that run must still get through.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let itemsReceived = 0;
    sink.script([], (req) => {
      if (!req.path.startsWith('/item/')) return { status: 200, body: { ok: true } };
      itemsReceived++;
      current++;
      peak = Math.max(peak, current);
      const n = Number(req.path.slice(6));
      const done = gate.then(() => new Promise((r) => setTimeout(r, 20))).then(() => current--);
      return n === 7 ? { status: 400, body: 'no', until: done } : { status: 200, body: { n }, until: done };
    });
    const res = await postJson(`${hf.url}/hooks/app`, { type: 'fanout', id: 'f-1', items });
    assert.equal(res.status, 200);
    await eventually(() => itemsReceived >= 20 || undefined, 60_000, 'the loop to fill its 20 slots');
    await postJson(`${hf.url}/hooks/app`, { type: 'quick', id: 'q-1' });
    await resultOf(hf.client!.client, 'quick/app/q-1', 60_000);
    assert.equal(itemsReceived, 20, 'the loop was held at its 20 slots while the other run went through');
    assert.equal((await hf.client!.client.workflow.getHandle('fanout/app/f-1').describe()).status.name, 'RUNNING');
    release();
    const r = await resultOf<RunResult>(hf.client!.client, 'fanout/app/f-1', 180_000);
    assert.equal(r.status, 'completed', r.error);
    const posted = sink.requests.filter((x) => x.path.startsWith('/item/'));
    const byItem = new Map<string, Set<string>>();
    for (const p of posted) byItem.set(p.path, (byItem.get(p.path) ?? new Set()).add(p.headers['idempotency-key'] ?? ''));
    assert.equal(byItem.size, 600, 'every item posted');
    assert.ok(
      [...byItem.values()].every((keys) => keys.size === 1),
      'each item by one step (one Idempotency-Key)',
    );
    assert.equal(byItem.get('/item/300')?.values().next().value, 'fanout/app/f-1/deliver[300].post');
    assert.ok(peak <= 20, `at most 20 at a time, saw ${peak}`);
    assert.equal(r.logs[0]?.message, 'posted 600', 'steps.deliver holds every iteration');
    const loop = r.steps.find((s) => s.kind === 'for_each')!;
    assert.match(loop.output ?? '', /600 iteration\(s\): 599 ok, 1 with a failed step/);
    const failed = r.steps.filter((s) => s.status === 'failed');
    assert.deepEqual(
      failed.map((s) => s.path),
      ['deliver[7].post'],
      'the failure is kept in the record',
    );
  });

  test('the histories of a chunked loop (the run and its chunks) replay deterministically against the current workflow code', async () => {
    const bundle = await workflowBundle();
    const ids = ['tally/app/t-1', 'tally/app/t-1/~loop/steps[0]#0', 'tally/app/t-1/~loop/steps[0]#7', 'fanout/app/f-1', 'fanout/app/f-1/~loop/deliver#1'];
    for (const wid of ids) {
      const history = await hf.client!.client.workflow.getHandle(wid).fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, wid);
    }
  });

  test(`a loop over more than ${MAX_ITERATIONS} items fails at once, naming the limit and the step`, async () => {
    const items = Array.from({ length: MAX_ITERATIONS + 1 }, () => 0);
    const res = await postJson(`${hf.url}/hooks/app`, { type: 'huge', id: 'h-1', items });
    assert.equal(res.status, 200);
    const err = await resultOf(hf.client!.client, 'huge/app/h-1', 60_000).then(
      () => undefined,
      (e: Error) => e,
    );
    const message = String((err?.cause as Error | undefined)?.message);
    assert.match(message, /steps\[0\]: for_each gives 100001 items, over the limit of 100000 per loop/);
  });
});
