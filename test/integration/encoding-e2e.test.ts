// Event data encoded where it lands, through a real run: a templated URL path or query value cannot
// reach another endpoint or add a parameter, an email address field cannot gain a recipient, and
// event text in `html` arrives escaped. raw_url()/raw_html() insert a value as is on purpose.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { runRecipeTest } from '../../src/core/recipe-test.js';
import type { Recipe, RunResult } from '../../src/core/types.js';
import { postJson, startTestHookflow, unsignedSource, resultOf } from '../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';
import { start as startSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';

const HOSTILE_ID = '../../admin?x=1#';
const HOSTILE_TAG = '1&admin=true';

describe('event data in urls, addresses and html (real Temporal, SMTP and HTTP servers)', () => {
  let sink: HttpSink;
  let smtp: TestSmtpServer;
  let hf: Awaited<ReturnType<typeof startTestHookflow>>;

  before(async () => {
    sink = await startSink();
    smtp = await startSmtp();
    const recipe = (name: string, step: string): string => `name: ${name}\non: { source: app, event: ${name} }\nsteps:\n  - id: s\n${step}`;
    hf = await startTestHookflow({
      recipes: {
        'sources.yaml': unsignedSource('app'),
        'url.yaml': recipe(
          'url',
          `    http:\n      method: POST\n      url: "{{ secret.SINK }}/users/{{ event.user }}?tag={{ event.tag }}"\n      headers: { X-Api-Key: "{{ secret.KEY }}" }\n`,
        ),
        'rawurl.yaml': recipe('rawurl', `    http: { url: "{{ secret.SINK }}/{{ raw_url(event.path) }}" }\n`),
        'base.yaml': recipe('base', `    http: { url: "{{ event.base }}/ping" }\n`),
        'mail.yaml': recipe('mail', `    email: { to: "{{ event.to }}", subject: hi, html: "<p>{{ event.text }}</p>{{ raw_html(event.trusted) }}" }\n`),
      },
      env: { HOOKFLOW_SECRET_SINK: sink.url, HOOKFLOW_SECRET_KEY: 'key-3c9d1e7f', SMTP_URL: smtp.url },
    });
  });
  after(async () => {
    await hf?.stop();
    await sink?.close();
    await smtp?.close();
  });

  async function run(body: Record<string, unknown>): Promise<RunResult> {
    const res = await postJson(`${hf.url}/hooks/app`, { id: `${body.type}-${Date.now()}-${Math.random()}`, ...body });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    try {
      return await resultOf<RunResult>(hf.client!.client, res.json.runs[0].workflowId);
    } catch (err) {
      assert.ok(err instanceof WorkflowFailedError, String(err));
      return (err.cause as { details?: unknown[] }).details?.[0] as RunResult;
    }
  }

  test('"../../admin?x=1#" stays one path segment and "1&admin=true" one query value; the secret header goes only there', async () => {
    const before = sink.requests.length;
    const r = await run({ type: 'url', user: HOSTILE_ID, tag: HOSTILE_TAG });
    assert.equal(r.status, 'completed', r.error);
    const got = sink.requests.slice(before);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.path, `/users/${encodeURIComponent(HOSTILE_ID)}`);
    assert.deepEqual([...got[0]!.query.keys()], ['tag']);
    assert.equal(got[0]!.query.get('tag'), HOSTILE_TAG);
    assert.ok(!sink.requests.some((q) => q.path === '/admin'), 'nothing reached /admin');
  });

  test('".." as a path segment is refused with a step error (even encoded it would walk up)', async () => {
    const r = await run({ type: 'url', user: '..', tag: 'x' });
    assert.equal(r.status, 'failed');
    assert.match(r.error ?? '', /event\.user.*"\.\.".*step up the url's path/);
  });

  test('raw_url() inserts path segments as they are, on purpose', async () => {
    const before = sink.requests.length;
    const r = await run({ type: 'rawurl', path: 'a/b?c=d' });
    assert.equal(r.status, 'completed', r.error);
    const got = sink.requests[before]!;
    assert.equal(got.path, '/a/b');
    assert.equal(got.query.get('c'), 'd');
  });

  test('a value that begins the url is the base: it must be an absolute http(s) URL', async () => {
    const ok = await run({ type: 'base', base: sink.url });
    assert.equal(ok.status, 'completed', ok.error);
    const bad = await run({ type: 'base', base: 'file:///etc/passwd#' });
    assert.equal(bad.status, 'failed');
    assert.match(bad.error ?? '', /event\.base.*begins the url.*absolute http\(s\) URL/);
  });

  test('"a@x, attacker@evil" in `to` fails the step with a clear error; nothing is sent to anyone', async () => {
    const before = smtp.messages.length;
    const r = await run({ type: 'mail', to: 'ann@example.com, attacker@evil.example', text: 'x', trusted: '' });
    assert.equal(r.status, 'failed');
    assert.match(r.error ?? '', /`to` holds 2 addresses .*give a list/);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(smtp.messages.length, before);
  });

  test('event text in `html` arrives escaped; raw_html() markup as written', async () => {
    const before = smtp.messages.length;
    const r = await run({ type: 'mail', to: 'ann@example.com', text: '<script>alert("x")</script> & <b>', trusted: '<hr>' });
    assert.equal(r.status, 'completed', r.error);
    const [mail] = (await smtp.waitForMessages(before + 1)).slice(before);
    assert.deepEqual(mail!.envelope.to, ['ann@example.com']);
    assert.ok(mail!.html?.includes('<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;</p><hr>'), mail!.html);
  });

  test('hookflow test shows the values a real run sends, and fails where the real run fails', async () => {
    const recipe = hf.recipes!.current.recipes.find((x) => x.name === 'url') as Recipe;
    const shown = await runRecipeTest(recipe, {
      name: 'encoded',
      event: { user: HOSTILE_ID, tag: HOSTILE_TAG },
      expect: [{ http: { url: `{{ secret.SINK }}/users/${encodeURIComponent(HOSTILE_ID)}?tag=${encodeURIComponent(HOSTILE_TAG)}` } }],
    });
    assert.equal(shown.passed, true, shown.diff.join('\n'));
    const { emailAddressProblem } = await import('../../src/activities/email.js');
    const mail = hf.recipes!.current.recipes.find((x) => x.name === 'mail') as Recipe;
    const refused = await runRecipeTest(
      mail,
      { name: 'two', event: { to: 'a@x.example, b@y.example', text: '', trusted: '' }, expect: { status: 'failed', error: 'holds 2 addresses' } },
      undefined,
      (c) => (c.kind === 'email' ? emailAddressProblem(c.params as never) : undefined),
    );
    assert.equal(refused.passed, true, refused.diff.join('\n'));
  });
});
