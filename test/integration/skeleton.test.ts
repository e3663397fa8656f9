// The spine, end to end on a real Temporal server: a signed webhook → one durable run → the
// run's http step reaches a loopback sink; duplicates start nothing; the run is findable.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { RunResult } from '../../src/core/types.js';
import { eventually, postJson, startTestHookflow, resultOf } from '../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';

const SECRET = 'alerts-secret-for-tests';

const sources = `
sources:
  alerts:
    provider: generic
    verify: { hmac: sha256, header: X-Signature, encoding: hex, prefix: "sha256=", secret: "\${ALERTS_SECRET}" }
    event: body.alert.status
    id: headers["x-request-id"]
`;

const recipe = (sinkUrl: string) => `
name: alert-to-chat
on:
  source: alerts
  event: firing
  if: event.alert.severity == "critical"
steps:
  - id: post
    http:
      method: POST
      url: ${sinkUrl}/chat
      json: { text: "{{ event.alert.name }} is firing", severity: "{{ event.alert.severity }}" }
`;

function signed(body: unknown, requestId: string): [unknown, Record<string, string>] {
  const raw = JSON.stringify(body);
  const sig = createHmac('sha256', SECRET).update(raw).digest('hex');
  return [body, { 'x-request-id': requestId, 'x-signature': `sha256=${sig}` }];
}

describe('webhook → durable run → outbound http (real Temporal)', () => {
  let sink: HttpSink;
  let hf: Awaited<ReturnType<typeof startTestHookflow>>;

  before(async () => {
    sink = await startSink();
    hf = await startTestHookflow({
      recipes: { 'sources.yaml': sources, 'alert-to-chat.yaml': recipe(sink.url) },
      env: { ALERTS_SECRET: SECRET },
    });
  });
  after(async () => {
    await hf?.stop();
    await sink?.close();
  });

  const alert = { alert: { status: 'firing', name: 'disk full', severity: 'critical' } };

  test('a webhook is answered 200 once its delivery is journaled, and the http step reaches the sink', async () => {
    const res = await postJson(`${hf.url}/hooks/alerts`, ...signed(alert, 'delivery-1'));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.match(res.json.request, /^[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.equal(res.headers.get('x-hookflow-request'), res.json.request);
    assert.deepEqual(res.json, {
      accepted: true,
      request: res.json.request,
      event: { source: 'alerts', type: 'firing', id: 'delivery-1' },
      runs: [{ recipe: 'alert-to-chat', workflowId: 'alert-to-chat/alerts/delivery-1', duplicate: false, state: 'queued' }],
    });
    const [got] = await sink.waitForRequests(1, 20_000);
    assert.equal(got!.method, 'POST');
    assert.equal(got!.path, '/chat');
    assert.deepEqual(JSON.parse(got!.body), { text: 'disk full is firing', severity: 'critical' });
    assert.equal(got!.headers['idempotency-key'], 'alert-to-chat/alerts/delivery-1/post');

    const result = await resultOf<RunResult>(hf.client!.client, 'alert-to-chat/alerts/delivery-1');
    assert.equal(result.status, 'completed');
    assert.equal(result.steps.length, 1);
    assert.equal(result.steps[0]!.status, 'ok');
    assert.equal(result.steps[0]!.attempts, 1);
    assert.match(result.steps[0]!.output ?? '', /POST http:\/\/127\.0\.0\.1:\d+\/chat → 200/);
  });

  test('the same delivery again is answered duplicate and starts nothing', async () => {
    const before = sink.requests.length;
    const res = await postJson(`${hf.url}/hooks/alerts`, ...signed(alert, 'delivery-1'));
    assert.equal(res.status, 200);
    assert.deepEqual(res.json.runs, [{ recipe: 'alert-to-chat', workflowId: 'alert-to-chat/alerts/delivery-1', duplicate: true, state: 'started' }]);
    // A second run would post within a second or two; give it the chance to (wrongly) do so.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(sink.requests.length, before);
    const runs = [];
    for await (const w of hf.client!.client.workflow.list({ query: `WorkflowId = "alert-to-chat/alerts/delivery-1"` })) runs.push(w);
    assert.equal(runs.length, 1);
  });

  test('10 concurrent deliveries of one event start exactly one run', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => postJson(`${hf.url}/hooks/alerts`, ...signed(alert, 'delivery-storm'))));
    assert.ok(answers.every((a) => a.status === 200));
    const fresh = answers.filter((a) => a.json.runs[0].duplicate === false);
    assert.equal(fresh.length, 1, 'exactly one answer reports the new run');
    await resultOf(hf.client!.client, 'alert-to-chat/alerts/delivery-storm');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(sink.requests.filter((r) => r.headers['idempotency-key'] === 'alert-to-chat/alerts/delivery-storm/post').length, 1);
  });

  test('the run carries its search attributes, and a query on them finds it', async () => {
    const desc = await hf.client!.client.workflow.getHandle('alert-to-chat/alerts/delivery-1').describe();
    assert.deepEqual(desc.searchAttributes.HookflowRecipe, ['alert-to-chat']);
    assert.deepEqual(desc.searchAttributes.HookflowSource, ['alerts']);
    assert.deepEqual(desc.searchAttributes.HookflowEvent, ['firing']);
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const w of hf.client!.client.workflow.list({ query: `HookflowRecipe = "alert-to-chat" AND HookflowEvent = "firing"` }))
          ids.push(w.workflowId);
        return ids.includes('alert-to-chat/alerts/delivery-1') ? ids : undefined;
      },
      15_000,
      'the visibility query to list the run',
    );
    // The query filters on the attributes: a value the run does not carry leaves it out.
    assert.ok(
      found.every((id) => id.startsWith('alert-to-chat/')),
      `the query listed runs of another recipe: ${found.join(', ')}`,
    );
    const others: string[] = [];
    for await (const w of hf.client!.client.workflow.list({ query: `HookflowRecipe = "alert-to-chat" AND HookflowEvent = "resolved"` }))
      others.push(w.workflowId);
    assert.ok(!others.includes('alert-to-chat/alerts/delivery-1'), `a query for another event lists the run: ${others.join(', ')}`);
  });

  test('an event no recipe wants is accepted with no runs', async () => {
    const res = await postJson(`${hf.url}/hooks/alerts`, ...signed({ alert: { status: 'resolved', name: 'x', severity: 'critical' } }, 'delivery-2'));
    assert.equal(res.status, 200);
    assert.deepEqual(res.json.runs, []);
    const filtered = await postJson(`${hf.url}/hooks/alerts`, ...signed({ alert: { status: 'firing', name: 'x', severity: 'info' } }, 'delivery-3'));
    assert.deepEqual(filtered.json.runs, []);
  });

  test('a bad signature is refused with 401 and starts nothing', async () => {
    const [body, headers] = signed(alert, 'delivery-forged');
    const res = await postJson(`${hf.url}/hooks/alerts`, { ...(body as object), extra: 1 }, headers);
    assert.equal(res.status, 401);
    assert.equal(res.json.error.code, 'bad_signature');
    assert.match(res.json.error.message, /X-Signature/);
    await assert.rejects(hf.client!.client.workflow.getHandle('alert-to-chat/alerts/delivery-forged').describe(), { name: 'WorkflowNotFoundError' });
  });

  test('an unknown source is 404 and /healthz is 200', async () => {
    const res = await postJson(`${hf.url}/hooks/nope`, {});
    assert.equal(res.status, 404);
    assert.equal(res.json.error.code, 'unknown_source');
    const health = await fetch(`${hf.url}/healthz`);
    assert.equal(health.status, 200);
  });
});
