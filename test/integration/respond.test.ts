// `respond:` on a real Temporal server: an answer from the event alone (TwiML for Twilio), an answer
// that waits for a step's result (update-with-start), the fallback in time when the step is slow
// (the run goes on and completes), a provider's retry answered from the run, and the journal's
// record of every one of these deliveries.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunResult } from '../../src/core/types.js';
import { eventually, postJson, resultOf, startTestHookflow, unsignedSource } from '../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';

const recipes = (sink: string) => ({
  'sources.yaml': unsignedSource('app'),
  'twiml.yaml': `
name: twiml
on: { source: app, event: sms }
respond:
  headers: { content-type: text/xml }
  body: "<Response><Message>Got {{ event.text }}</Message></Response>"
steps:
  - log: "sms {{ event.text }}"
`,
  'lookup.yaml': `
name: lookup
on: { source: app, event: lookup }
respond:
  after: answer
  timeout: 2s
  status: 201
  body: { text: "{{ steps.answer.body.text }}", order: "{{ event.order }}" }
  fallback: { status: 202, body: { text: "working on {{ event.order }}" } }
steps:
  - id: answer
    http: { method: POST, url: "${sink}/answer/{{ event.order }}" }
  - log: "answered {{ event.order }}"
`,
});

describe('respond (real Temporal)', () => {
  let sink: HttpSink;
  let hf: Awaited<ReturnType<typeof startTestHookflow>>;
  before(async () => {
    sink = await startSink({
      fallback: (req) => {
        const order = req.path.split('/').pop();
        return order === 'slow' ? { status: 200, body: { text: 'late' }, delayMs: 4_000 } : { status: 200, body: { text: `status of ${order}: shipped` } };
      },
    });
    hf = await startTestHookflow({ recipes: recipes(sink.url) });
  });
  after(async () => {
    await hf?.stop();
    await sink?.close();
  });

  test('an answer from the event alone: TwiML with content-type text/xml, at once; the run still runs', async () => {
    const res = await fetch(`${hf.url}/hooks/app`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'sms', id: 's-1', text: 'hi' }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/xml/);
    assert.equal(await res.text(), '<Response><Message>Got hi</Message></Response>');
    assert.ok(res.headers.get('x-hookflow-request'));
    const r = await resultOf<RunResult>(hf.client!.client, 'twiml/app/s-1');
    assert.equal(r.logs[0]?.message, 'sms hi');
  });

  test("an answer after a step: the step's result in the body, the status of the recipe", async () => {
    const res = await postJson(`${hf.url}/hooks/app`, { type: 'lookup', id: 'l-1', order: 'A7' });
    // 201 and the step's result, not the fallback's 202: answered by the run, before the timeout.
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.deepEqual(res.json, { text: 'status of A7: shipped', order: 'A7' });
    const r = await resultOf<RunResult>(hf.client!.client, 'lookup/app/l-1');
    assert.equal(r.logs[0]?.message, 'answered A7');
    // A provider's retry of the same delivery gets the same answer, from the run.
    const again = await postJson(`${hf.url}/hooks/app`, { type: 'lookup', id: 'l-1', order: 'A7' });
    assert.equal(again.status, 201);
    assert.deepEqual(again.json, { text: 'status of A7: shipped', order: 'A7' });
    assert.equal(sink.requests.filter((q) => q.path === '/answer/A7').length, 1, 'the retry started nothing');
  });

  test('a step slower than the timeout: the fallback in time, and the run completes after', async () => {
    const t0 = Date.now();
    const res = await postJson(`${hf.url}/hooks/app`, { type: 'lookup', id: 'l-2', order: 'slow' });
    const ms = Date.now() - t0;
    assert.equal(res.status, 202, JSON.stringify(res.json));
    assert.deepEqual(res.json, { text: 'working on slow' });
    // The fallback (202) is the proof it did not wait for the 4 s step; timers never fire early, so
    // it came no sooner than the 2 s timeout. (How much later is for benchmarks, not this test.)
    assert.ok(ms >= 1_900, `answered after ${ms} ms, before the 2 s timeout`);
    const r = await resultOf<RunResult>(hf.client!.client, 'lookup/app/l-2', 30_000);
    assert.equal(r.status, 'completed');
    assert.equal(r.logs[0]?.message, 'answered slow');
    // The responder started the run itself and records that in the journal after answering, so the
    // request log may say `queued` for a moment.
    type Logged = { requests: Array<{ event?: { id: string }; verdict: string; runs: Array<{ state: string }> }> };
    const l2 = await eventually(
      async () => {
        const logged = (await (await fetch(`${hf.url}/api/requests?source=app&limit=20`)).json()) as Logged;
        const found = logged.requests.find((q) => q.event?.id === 'l-2');
        return found?.runs[0]?.state === 'started' ? found : undefined;
      },
      30_000,
      'the request log to show the run started',
    );
    assert.equal(l2.verdict, 'accepted', 'the delivery is journaled like any other');
  });
});
