// Every step kind on the real Temporal server, through the ingress: http, log, set, if/else,
// for_each (with concurrency), delay, wait_for (satisfied, timed out, and an event that arrives
// before the step starts), fail, continue_on_error, retry. Then the recorded histories are replayed
// against the current workflow code, so a change that breaks determinism fails here.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { WorkflowFailedError } from '@temporalio/client';
import type { RunResult } from '../../src/core/types.js';
import { workflowBundle } from '../../src/temporal/worker.js';
import { postJson, startTestHookflow, unsignedSource, resultOf } from '../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';

const sources = unsignedSource('app');

const recipes = (sink: string): Record<string, string> => ({
  'sources.yaml': sources,
  'control.yaml': `
name: control
on: { source: app, event: control }
vars: { greeting: hello }
steps:
  - set: { who: "{{ event.user }}", n: "{{ size(event.items) }}" }
  - log: "{{ vars.greeting }} {{ vars.who.name }}"
  - id: each
    for_each: event.items
    as: item
    concurrency: 2
    steps:
      - id: call
        http: { method: POST, url: "${sink}/item/{{ item }}", json: { item: "{{ item }}", n: "{{ vars.n }}" } }
  - if: vars.n > 2
    then:
      - http: { url: "${sink}/many" }
    else:
      - http: { url: "${sink}/few" }
`,
  'delayed.yaml': `
name: delayed
on: { source: app, event: delayed }
steps:
  - delay: 2s
  - http: { url: "${sink}/after-delay" }
`,
  'waiter.yaml': `
name: waiter
on: { source: app, event: order.created }
steps:
  - delay: "{{ event.pause }}"
  - id: paid
    wait_for: { event: order.paid, match: "event.order == trigger.id", timeout: "{{ event.wait }}" }
  - if: steps.paid == null
    then: [ { http: { url: "${sink}/unpaid/{{ trigger.id }}" } } ]
    else: [ { http: { url: "${sink}/paid/{{ trigger.id }}?amount={{ steps.paid.body.amount }}" } } ]
`,
  'failing.yaml': `
name: failing
on: { source: app, event: failing }
steps:
  - id: flaky
    continue_on_error: true
    retry: { attempts: 2, initial: 100ms }
    http: { url: "${sink}/always-400" }
  - log: "flaky said {{ steps.flaky.error }}"
  - id: retried
    retry: { attempts: 4, initial: 100ms, factor: 1 }
    http: { url: "${sink}/flaps" }
  - fail: "stopping on purpose after {{ steps.retried.status }}"
`,
});

describe('step kinds on a real Temporal server', () => {
  let sink: HttpSink;
  let hf: Awaited<ReturnType<typeof startTestHookflow>>;
  const runIds: string[] = [];

  before(async () => {
    let flaps = 0;
    sink = await startSink({
      fallback: (req) => {
        if (req.path === '/always-400') return { status: 400, body: { error: 'bad request from sink' } };
        if (req.path === '/flaps') return ++flaps <= 2 ? { status: 503 } : { status: 200, body: { ok: true } };
        return { status: 200, body: { path: req.path } };
      },
    });
    hf = await startTestHookflow({ recipes: recipes(sink.url) });
  });
  after(async () => {
    await hf?.stop();
    await sink?.close();
  });

  async function trigger(body: Record<string, unknown>): Promise<string> {
    const res = await postJson(`${hf.url}/hooks/app`, body);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const wid = res.json.runs[0]?.workflowId as string;
    if (wid) runIds.push(wid);
    return wid;
  }
  const result = (wid: string) => resultOf<RunResult>(hf.client!.client, wid);
  const hits = (prefix: string) => sink.requests.filter((r) => r.path.startsWith(prefix));

  test('set, log, for_each with concurrency, if/else, http', async () => {
    const wid = await trigger({ type: 'control', id: 'c1', user: { name: 'Ann' }, items: ['a', 'b', 'c'] });
    const r = await result(wid);
    assert.equal(r.status, 'completed');
    assert.deepEqual(
      r.logs.map((l) => l.message),
      ['hello Ann'],
    );
    assert.deepEqual(
      hits('/item/')
        .map((h) => h.path)
        .sort(),
      ['/item/a', '/item/b', '/item/c'],
    );
    assert.deepEqual(
      hits('/item/').map((h) => JSON.parse(h.body).n),
      [3, 3, 3],
    );
    assert.equal(hits('/many').length, 1);
    assert.equal(hits('/few').length, 0);
    // Idempotency keys name the iteration: each[0].call, each[1].call, …
    assert.deepEqual(
      hits('/item/')
        .map((h) => h.headers['idempotency-key'])
        .sort(),
      [0, 1, 2].map((i) => `${wid}/each[${i}].call`),
    );
    const kinds = r.steps.map((s) => s.kind);
    assert.deepEqual(kinds.filter((k) => k === 'http').length, 4);
    assert.ok(r.steps.every((s) => s.status === 'ok'));
  });

  test('delay is a durable timer', async () => {
    const t0 = Date.now();
    const wid = await trigger({ type: 'delayed', id: 'd1' });
    const r = await result(wid);
    assert.equal(r.status, 'completed');
    const hit = hits('/after-delay')[0]!;
    assert.ok(hit.receivedAt - t0 >= 2000, `the call came ${hit.receivedAt - t0} ms after the webhook`);
    assert.equal(r.steps[0]!.kind, 'delay');
  });

  test('wait_for: satisfied by a later event', async () => {
    const wid = await trigger({ type: 'order.created', id: 'o1', pause: '0s', wait: '30s' });
    await new Promise((r) => setTimeout(r, 500));
    await trigger({ type: 'order.paid', id: 'p1', order: 'o1', amount: 42 });
    const r = await result(wid);
    assert.equal(r.status, 'completed', r.error);
    assert.equal(hits('/paid/o1').length, 1);
    assert.equal(hits('/paid/o1')[0]!.query.get('amount'), '42');
  });

  test('wait_for: an event that arrives before the step starts is not lost', async () => {
    const wid = await trigger({ type: 'order.created', id: 'o2', pause: '3s', wait: '20s' });
    // Paid while the run still sleeps in its delay, long before wait_for begins.
    await trigger({ type: 'order.paid', id: 'p2', order: 'o2', amount: 7 });
    // An event for another order must not satisfy it.
    await trigger({ type: 'order.paid', id: 'p2x', order: 'other', amount: 1 });
    const r = await result(wid);
    assert.equal(r.status, 'completed', r.error);
    assert.equal(hits('/paid/o2')[0]?.query.get('amount'), '7');
    assert.equal(hits('/unpaid/o2').length, 0);
  });

  test('wait_for: times out when no matching event comes', async () => {
    const wid = await trigger({ type: 'order.created', id: 'o3', pause: '0s', wait: '2s' });
    const r = await result(wid);
    assert.equal(r.status, 'completed');
    assert.equal(hits('/unpaid/o3').length, 1);
    const wait = r.steps.find((s) => s.kind === 'wait_for')!;
    assert.match(wait.output ?? '', /timed out/);
  });

  test('retry, continue_on_error and fail: the run fails with the message and records attempts', async () => {
    const wid = await trigger({ type: 'failing', id: 'f1' });
    const err = await result(wid).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, 'the run fails');
    const cause = err.cause as { message: string; details?: unknown[] };
    assert.match(cause.message, /stopping on purpose after 200/);
    const r = cause.details?.[0] as RunResult;
    const flaky = r.steps.find((s) => s.id === 'flaky')!;
    assert.equal(flaky.status, 'failed');
    assert.equal(flaky.attempts, 1, 'a 400 is not retried');
    assert.match(flaky.error ?? '', /400/);
    assert.equal(hits('/always-400').length, 1);
    const retried = r.steps.find((s) => s.id === 'retried')!;
    assert.equal(retried.status, 'ok');
    assert.equal(retried.attempts, 3, '503, 503, then 200');
    assert.match(r.logs[0]!.message, /flaky said .*400/);
  });

  test('the recorded histories replay deterministically against the current workflow code', async () => {
    assert.ok(runIds.length >= 5);
    const bundle = await workflowBundle();
    for (const wid of runIds) {
      const history = await hf.client!.client.workflow.getHandle(wid).fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, wid);
    }
  });
});
