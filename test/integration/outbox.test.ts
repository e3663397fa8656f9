// The development outbox (HOOKFLOW_OUTBOX=1 / `hookflow start --dev`): email, SMS, push and http
// steps to hosts HOOKFLOW_OUTBOUND_ALLOW does not name are recorded and listed by the console's API
// instead of being sent; http to an allowed host still goes out; /healthz says the outbox is on.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { postJson, resultOf, startTestHookflow, unsignedSource } from '../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';

describe('the development outbox', () => {
  let sink: HttpSink;
  let hf: Awaited<ReturnType<typeof startTestHookflow>>;
  before(async () => {
    sink = await startSink();
    hf = await startTestHookflow({
      recipes: {
        'sources.yaml': unsignedSource('shop'),
        'notify.yaml': `
name: notify
on: { source: shop, event: order.created }
steps:
  - email: { to: buyer@example.com, subject: "Order {{ event.id }}", text: thanks }
  - sms: { to: "+15550100", body: "order {{ event.id }} is on its way" }
  - push: { provider: fcm, to: device-token-1, title: Order, body: shipped }
  - id: chat
    http: { method: POST, url: "https://chat.example.com/hooks/abc", json: { text: "{{ event.id }}" } }
  - id: local
    http: { method: POST, url: "${sink.url}/local", json: { chat: "{{ steps.chat.body.captured }}" } }
`,
      },
      // No SMTP_URL, no Twilio, no FCM: nothing could be sent for real.
      env: {
        HOOKFLOW_OUTBOX: '1',
        HOOKFLOW_OUTBOX_FILE: path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-outbox-')), 'outbox.jsonl'),
        SMTP_URL: '',
        TWILIO_ACCOUNT_SID: '',
        FCM_SERVICE_ACCOUNT_FILE: '',
      },
    });
  });
  after(async () => {
    await hf?.stop();
    await sink?.close();
  });

  test('email, SMS, push and http to a host not allowed are captured; http to an allowed host is sent', async () => {
    const res = await postJson(`${hf.url}/hooks/shop`, { type: 'order.created', id: 'ord-77' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const result = await resultOf<{ status: string }>(hf.client!.client, res.json.runs[0].workflowId);
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.equal(sink.requests.length, 1, 'only the allowed host was called');
    assert.deepEqual(JSON.parse(sink.requests[0]!.body), { chat: true });

    const box = (await (await fetch(`${hf.url}/api/console/outbox`)).json()) as {
      enabled: boolean;
      items: Array<{ kind: string; to: string; summary: string; workflowId: string }>;
    };
    assert.equal(box.enabled, true);
    const kinds = box.items.map((i) => i.kind).sort();
    assert.deepEqual(kinds, ['email', 'http', 'push', 'sms']);
    const byKind = Object.fromEntries(box.items.map((i) => [i.kind, i]));
    assert.equal(byKind.email!.to, 'buyer@example.com');
    assert.match(byKind.email!.summary, /Order ord-77/);
    assert.match(byKind.sms!.summary, /order ord-77 is on its way/);
    assert.equal(byKind.http!.to, 'https://chat.example.com/hooks/abc');
    for (const i of box.items) assert.equal(i.workflowId, 'notify/shop/ord-77');

    const health = (await (await fetch(`${hf.url}/healthz`)).json()) as { outbox?: string };
    assert.match(health.outbox ?? '', /captured, not sent/);
    const overview = (await (await fetch(`${hf.url}/api/console/overview`)).json()) as { outbox: boolean; warnings: string[] };
    assert.equal(overview.outbox, true);
    assert.deepEqual(overview.warnings, [], 'channel settings are not needed while the outbox captures');
  });
});
