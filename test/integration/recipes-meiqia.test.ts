// examples/meiqia-crm-sync.yaml end to end: Meiqia-signed deliveries of all five events through
// `hookflow send` and a real Temporal server, checked at the CRM (an HTTP sink) and the SMTP server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { start as startSink, type HttpSink, type SinkRequest } from '../helpers/http-sink.js';
import { start as startSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { fixture, onlyRun, recipeFiles, startRecipes, type RecipeHarness } from './recipes-kit.js';

const CRM_TOKEN = 'crm-api-token-3f9a';

describe('meiqia-crm-sync', () => {
  let crm: HttpSink;
  let smtp: TestSmtpServer;
  let h: RecipeHarness;

  before(async () => {
    crm = await startSink({
      fallback: (req) => {
        if (req.headers.authorization !== `Bearer ${CRM_TOKEN}`) return { status: 401, body: { error: 'unauthorized' } };
        if (req.method === 'GET' && req.path === '/api/contacts/crm-10442') {
          return { status: 200, body: { id: 'crm-10442', name: '王小明', owner: { name: 'Mei Chen', email: 'mei.chen@example.com' } } };
        }
        if (req.method === 'POST') return { status: 201, body: { id: 'crm-10442' } };
        if (req.method === 'DELETE') return { status: 204 };
        return { status: 200, body: { ok: true } };
      },
    });
    smtp = await startSmtp();
    h = await startRecipes({
      recipes: recipeFiles('meiqia-crm-sync.yaml'),
      env: {
        MEIQIA_WEBHOOK_SECRET: 'meiqia-secret-for-tests',
        HOOKFLOW_SECRET_CRM_API_URL: `${crm.url}/api`,
        HOOKFLOW_SECRET_CRM_API_TOKEN: CRM_TOKEN,
        SMTP_URL: smtp.url,
        HOOKFLOW_EMAIL_FROM: 'support@hookflow.example',
      },
    });
  });
  after(async () => {
    await h?.stop();
    await crm?.close();
    await smtp?.close();
  });

  /** Sends one delivery and waits for its run; returns what the CRM received meanwhile. */
  async function deliver(file: string, type: string): Promise<SinkRequest[]> {
    const before = crm.requests.length;
    const reply = await h.send('meiqia', file);
    assert.equal(reply.event.type, type);
    const r = await h.result(onlyRun(reply, 'meiqia-crm-sync'));
    assert.equal(r.status, 'completed', r.error);
    return crm.requests.slice(before);
  }
  const call = (q: SinkRequest) => [q.method, q.path, q.body === '' ? null : JSON.parse(q.body)];

  test('the five events: create, update, anonymous conversation skipped, close (recorded + summary emailed), delete', async () => {
    assert.deepEqual((await deliver(fixture('providers', 'meiqia', 'client.created.json'), 'client.created')).map(call), [
      [
        'POST',
        '/api/contacts',
        { id: 'crm-10442', name: '王小明', phone: '+8613800138000', email: 'xiaoming.wang@example.com', company: '', source: 'meiqia/web' },
      ],
    ]);

    assert.deepEqual((await deliver(fixture('meiqia', 'client.updated.json'), 'client.updated')).map(call), [
      ['PATCH', '/api/contacts/crm-10442', { name: '王小明', phone: '+8613900139000', email: 'xiaoming.wang@example.com', company: '星海贸易有限公司' }],
    ]);

    // The provider's sample conversation has no dev_client_id: an anonymous visitor, nothing to sync.
    assert.deepEqual(await deliver(fixture('providers', 'meiqia', 'conversation.updated.json'), 'conversation.updated'), []);

    const closed = await deliver(fixture('meiqia', 'conversation.closed.json'), 'conversation.closed');
    assert.deepEqual(closed.map(call), [
      [
        'PUT',
        '/api/contacts/crm-10442/activities/meiqia-4872301',
        {
          type: 'chat',
          status: 'closed',
          agent: '李娜',
          summary: '顾客咨询企业版价格，已发送报价单，约定周五回访。',
          started_at: '2021-09-26T17:40:02+08:00',
          ended_at: '2021-09-26T18:11:47+08:00',
        },
      ],
      ['GET', '/api/contacts/crm-10442', null],
    ]);
    const mails = smtp.messages.filter((m) => m.subject.startsWith('Chat closed'));
    assert.equal(mails.length, 1);
    assert.deepEqual(mails[0]!.to, ['mei.chen@example.com']);
    assert.equal(mails[0]!.subject, 'Chat closed: 王小明 with 李娜');
    assert.match(mails[0]!.text ?? '', /Conversation 4872301 \(14 messages\) was closed by the agent\./);
    assert.match(mails[0]!.text ?? '', /Tags: +报价, 企业版/);
    assert.match(mails[0]!.text ?? '', /顾客咨询企业版价格，已发送报价单，约定周五回访。/);

    assert.deepEqual((await deliver(fixture('meiqia', 'client.deleted.json'), 'client.deleted')).map(call), [['DELETE', '/api/contacts/crm-10442', null]]);

    // Every CRM call carried the token and a stable Idempotency-Key (workflow id + step path).
    for (const q of crm.requests) {
      assert.equal(q.headers.authorization, `Bearer ${CRM_TOKEN}`);
      assert.match(q.headers['idempotency-key'] ?? '', /^meiqia-crm-sync\/meiqia\/sub_09e4bee581ffbcd347fcf634e0f99df8_\d+\//);
    }
  });
});
