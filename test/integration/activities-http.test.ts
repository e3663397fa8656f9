// The http activity against a real HTTP server on loopback, run inside a Temporal activity context.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import { gatherAttemptFacts } from '../../src/activities/attempt-facts.js';
import { NON_RETRYABLE_ERROR_TYPES, createActivities } from '../../src/activities/index.js';
import type { HttpParams, OutboundInput, SecretField } from '../../src/core/types.js';
import * as httpSink from '../helpers/http-sink.js';
import { failureOf, retryable as isRetryable, run } from '../helpers/activity.js';

const WORKFLOW_ID = 'notify/github/delivery-42';

function activityEnv(info: { attempt?: number; startToCloseTimeoutMs?: number } = {}): MockActivityEnvironment {
  return new MockActivityEnvironment({ startToCloseTimeoutMs: 10_000, ...info }, { logger: new DefaultLogger('ERROR') });
}

function input(params: HttpParams, secretFields: SecretField[] = [], stepPath = 'steps[0]'): OutboundInput<HttpParams> {
  return { workflowId: WORKFLOW_ID, stepPath, params, secretFields };
}

describe('http activity', () => {
  let sink: httpSink.HttpSink;
  const env = { HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1' };
  const acts = createActivities({ env });

  before(async () => {
    sink = await httpSink.start();
  });
  after(async () => {
    await sink.close();
  });

  test('GET with query: result has status, lower-case headers, parsed JSON body; Idempotency-Key sent', async () => {
    sink.script([{ status: 200, headers: { 'X-Answer': '42' }, body: { hello: 'world', n: 1 } }]);
    const before = sink.requests.length;
    const result = await run(activityEnv(), acts.http, input({ url: `${sink.url}/users/7?x=1`, query: { fields: 'a,b', tag: ['p', 'q'], n: 3 } }));
    assert.equal(result.status, 200);
    assert.equal(result.ok, true);
    assert.deepEqual(result.body, { hello: 'world', n: 1 });
    assert.equal(result.headers['x-answer'], '42');
    assert.equal(result.truncated, undefined);
    const req = sink.requests[before];
    assert.ok(req);
    assert.equal(req.method, 'GET');
    assert.equal(req.path, '/users/7');
    assert.equal(req.query.get('x'), '1');
    assert.equal(req.query.get('fields'), 'a,b');
    assert.deepEqual(req.query.getAll('tag'), ['p', 'q']);
    assert.equal(req.query.get('n'), '3');
    assert.equal(req.headers['idempotency-key'], `${WORKFLOW_ID}/steps[0]`);
  });

  test('json body: POST by default, serialized, content-type set', async () => {
    const before = sink.requests.length;
    await run(activityEnv(), acts.http, input({ url: `${sink.url}/events`, json: { a: [1, 2], b: null } }));
    const req = sink.requests[before];
    assert.ok(req);
    assert.equal(req.method, 'POST');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(req.body), { a: [1, 2], b: null });
  });

  test('form body, raw body, bearer and basic auth, explicit method', async () => {
    const before = sink.requests.length;
    await run(activityEnv(), acts.http, input({ url: `${sink.url}/form`, form: { name: 'Ada Lovelace', tags: ['x', 'y'] }, auth: { bearer: 'tok-123' } }));
    await run(
      activityEnv(),
      acts.http,
      input({
        url: `${sink.url}/raw`,
        method: 'put',
        body: 'plain text',
        headers: { 'Content-Type': 'text/csv' },
        auth: { basic: { username: 'ann', password: 'pw:1' } },
      }),
    );
    const [form, raw] = sink.requests.slice(before);
    assert.ok(form && raw);
    assert.equal(form.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(form.body, 'name=Ada+Lovelace&tags=x&tags=y');
    assert.equal(form.headers['authorization'], 'Bearer tok-123');
    assert.equal(raw.method, 'PUT');
    assert.equal(raw.body, 'plain text');
    assert.equal(raw.headers['content-type'], 'text/csv');
    assert.equal(raw.headers['authorization'], `Basic ${Buffer.from('ann:pw:1').toString('base64')}`);
  });

  test('two bodies at once is a non-retryable InvalidParams', async () => {
    const failure = await failureOf(run(activityEnv(), acts.http, input({ url: sink.url, json: {}, body: 'x' })));
    assert.equal(failure.type, 'InvalidParams');
    assert.equal(isRetryable(failure), false);
  });

  test('503 is retryable; the retry carries the same Idempotency-Key and succeeds', async () => {
    sink.script([
      { status: 503, body: 'down for maintenance' },
      { status: 200, body: { done: true } },
    ]);
    const before = sink.requests.length;
    const params = { url: `${sink.url}/flaky`, json: { id: 1 } };
    const failure = await failureOf(run(activityEnv({ attempt: 1 }), acts.http, input(params, [], 'steps[2].then[0]')));
    assert.equal(failure.type, 'HttpRetryableStatus');
    assert.equal(isRetryable(failure), true);
    assert.equal(failure.nextRetryDelay, undefined);
    assert.match(failure.message, /503/);
    const result = await run(activityEnv({ attempt: 2 }), acts.http, input(params, [], 'steps[2].then[0]'));
    assert.deepEqual(result.body, { done: true });
    const [first, second] = sink.requests.slice(before);
    assert.ok(first && second);
    assert.equal(first.headers['idempotency-key'], `${WORKFLOW_ID}/steps[2].then[0]`);
    assert.equal(second.headers['idempotency-key'], first.headers['idempotency-key']);
  });

  test('408 and 429 are retryable', async () => {
    for (const status of [408, 429, 500, 502]) {
      sink.script([{ status }]);
      const failure = await failureOf(run(activityEnv(), acts.http, input({ url: `${sink.url}/s` })));
      assert.equal(isRetryable(failure), true, `status ${status}`);
    }
  });

  test('Retry-After in seconds becomes nextRetryDelay', async () => {
    sink.script([{ status: 429, headers: { 'Retry-After': '7' }, body: { error: 'slow down' } }]);
    const failure = await failureOf(run(activityEnv(), acts.http, input({ url: `${sink.url}/limited` })));
    assert.equal(failure.type, 'HttpRetryableStatus');
    assert.equal(failure.nextRetryDelay, 7000);
  });

  test('Retry-After as an HTTP-date becomes nextRetryDelay', async () => {
    const at = new Date(Date.now() + 30_000);
    sink.script([{ status: 503, headers: { 'Retry-After': at.toUTCString() } }]);
    const failure = await failureOf(run(activityEnv(), acts.http, input({ url: `${sink.url}/limited` })));
    const delay = Number(failure.nextRetryDelay);
    // HTTP-dates have whole seconds: the delay is between 29 and 30 s.
    assert.ok(delay > 28_000 && delay <= 30_000, `delay ${delay}`);
  });

  test('an absurd Retry-After is capped at one hour', async () => {
    sink.script([{ status: 503, headers: { 'Retry-After': '864000' } }]);
    const failure = await failureOf(run(activityEnv(), acts.http, input({ url: `${sink.url}/limited` })));
    assert.equal(failure.nextRetryDelay, 3_600_000);
  });

  test('400 fails at once: non-retryable, message has method, URL, status and the body', async () => {
    sink.script([{ status: 400, body: { error: { message: 'field "email" is required' } } }]);
    const failure = await failureOf(run(activityEnv(), acts.http, input({ url: `${sink.url}/users?debug=1`, json: { name: 'x' } })));
    assert.equal(failure.type, 'HttpRejected');
    assert.equal(failure.nonRetryable, true);
    assert.ok(NON_RETRYABLE_ERROR_TYPES.includes('HttpRejected'));
    assert.match(failure.message, /^POST http:\/\/127\.0\.0\.1:\d+\/users\?debug=1 → 400 Bad Request/);
    assert.match(failure.message, /field \\?"email\\?" is required/);
  });

  test('expect: a listed 404 is success; a 2xx not listed fails without retry', async () => {
    sink.script([{ status: 404, body: { found: false } }]);
    const result = await run(activityEnv(), acts.http, input({ url: `${sink.url}/maybe`, expect: [200, 404] }));
    assert.equal(result.status, 404);
    assert.equal(result.ok, false);
    assert.deepEqual(result.body, { found: false });

    sink.script([{ status: 200 }]);
    const failure = await failureOf(run(activityEnv(), acts.http, input({ url: `${sink.url}/create`, expect: '201' })));
    assert.equal(failure.type, 'HttpRejected');
    assert.match(failure.message, /→ 200 .*expected "201"/);

    sink.script([{ status: 204 }]);
    const ok = await run(activityEnv(), acts.http, input({ url: `${sink.url}/any2xx`, expect: ['2xx'] }));
    assert.equal(ok.status, 204);
    assert.equal(ok.body, '');
  });

  test('a bad expect entry is InvalidParams', async () => {
    const failure = await failureOf(run(activityEnv(), acts.http, input({ url: sink.url, expect: 'ok' })));
    assert.equal(failure.type, 'InvalidParams');
  });

  test('redirects are not followed: 302 fails naming the Location, unless expected', async () => {
    const before = sink.requests.length;
    sink.script([{ status: 302, headers: { Location: 'http://169.254.169.254/latest/meta-data/' } }]);
    const failure = await failureOf(run(activityEnv(), acts.http, input({ url: `${sink.url}/go` })));
    assert.equal(failure.type, 'HttpRejected');
    assert.match(failure.message, /redirect to http:\/\/169\.254\.169\.254\/latest\/meta-data\/ not followed/);
    assert.equal(sink.requests.length, before + 1);

    sink.script([{ status: 302, headers: { Location: '/elsewhere' } }]);
    const result = await run(activityEnv(), acts.http, input({ url: `${sink.url}/go`, expect: [302] }));
    assert.equal(result.headers['location'], '/elsewhere');
  });

  test('a huge body is cut at 64 KiB and marked truncated', async () => {
    sink.script([{ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ blob: 'x'.repeat(300_000) }) }]);
    const result = await run(activityEnv(), acts.http, input({ url: `${sink.url}/big` }));
    assert.equal(result.truncated, true);
    assert.equal(typeof result.body, 'string');
    assert.equal((result.body as string).length, 64 * 1024);
  });

  test('a text body stays text', async () => {
    sink.script([{ status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'héllo' }]);
    const result = await run(activityEnv(), acts.http, input({ url: `${sink.url}/text` }));
    assert.equal(result.body, 'héllo');
  });

  test('a slow server times out within the attempt: retryable OutboundTimeout', async () => {
    // The server would answer 200 after 20 s: a failure at all means the attempt's deadline cut it.
    sink.script([{ status: 200, delayMs: 20_000 }]);
    const failure = await failureOf(run(activityEnv({ startToCloseTimeoutMs: 800 }), acts.http, input({ url: `${sink.url}/slow` })));
    assert.equal(failure.type, 'OutboundTimeout');
    assert.equal(isRetryable(failure), true);
  });

  test('cancelling the activity aborts the request', async () => {
    // The server would answer after 20 s; ending sooner than that means the request was aborted,
    // not waited out (a bound from the test's own set-up, not a speed target).
    sink.script([{ status: 200, delayMs: 20_000 }]);
    const envt = activityEnv();
    const started = Date.now();
    const pending = run(envt, acts.http, input({ url: `${sink.url}/slow` }));
    setTimeout(() => envt.cancel(), 100);
    await assert.rejects(pending, (err: unknown) => err instanceof CancelledFailure);
    assert.ok(Date.now() - started < 20_000, 'the request was aborted, not waited out');
  });

  test('connection refused is a retryable NetworkError', async () => {
    const closed = await httpSink.start();
    await closed.close();
    const failure = await failureOf(run(activityEnv(), acts.http, input({ url: `${closed.url}/x` })));
    assert.equal(failure.type, 'NetworkError');
    assert.equal(isRetryable(failure), true);
    assert.match(failure.message, /ECONNREFUSED/);
  });

  test('sign: standard-webhooks signature verifies with the standardwebhooks library', async () => {
    const secret = `whsec_${Buffer.from('a-32-byte-signing-key-for-tests!').toString('base64')}`;
    const before = sink.requests.length;
    // SIGNING is not set yet: the step fails naming it, and nothing is sent.
    await assert.rejects(
      run(
        activityEnv(),
        acts.http,
        input({ url: `${sink.url}/webhook`, json: { type: 'order.paid', id: 9 }, sign: { 'standard-webhooks': '' } }, [
          { path: ['sign', 'standard-webhooks'], parts: [{ secret: 'SIGNING' }] },
        ]),
      ),
      /secret\.SIGNING is not set: define HOOKFLOW_SECRET_SIGNING/,
    );
    assert.equal(sink.requests.length, before);

    const signed = createActivities({ env: { ...env, HOOKFLOW_SECRET_SIGNING: secret } });
    await run(
      activityEnv(),
      signed.http,
      input({ url: `${sink.url}/webhook`, json: { type: 'order.paid', id: 9 }, sign: { 'standard-webhooks': '' } }, [
        { path: ['sign', 'standard-webhooks'], parts: [{ secret: 'SIGNING' }] },
      ]),
    );
    const req = sink.requests[before];
    assert.ok(req);
    assert.equal(req.headers['webhook-id'], `${WORKFLOW_ID}/steps[0]`);
    const verified = new Webhook(secret).verify(req.body, {
      'webhook-id': req.headers['webhook-id'] ?? '',
      'webhook-timestamp': req.headers['webhook-timestamp'] ?? '',
      'webhook-signature': req.headers['webhook-signature'] ?? '',
    });
    assert.deepEqual(verified, { type: 'order.paid', id: 9 });
    // A different key must not verify: the signature really depends on the secret.
    assert.throws(
      () =>
        new Webhook(`whsec_${Buffer.from('another-key-another-key-another!!').toString('base64')}`).verify(req.body, {
          'webhook-id': req.headers['webhook-id'] ?? '',
          'webhook-timestamp': req.headers['webhook-timestamp'] ?? '',
          'webhook-signature': req.headers['webhook-signature'] ?? '',
        }),
      /No matching signature found/,
    );
  });
});

describe('http activity: secrets', () => {
  let sink: httpSink.HttpSink;
  let dir: string;
  const TOKEN = 'sk_live_env_secret_value_123';
  const FILE_SECRET = 'file-secret-api-key-456';

  before(async () => {
    // The sink echoes what it received, like httpbin: the worst case for leaking secrets back.
    sink = await httpSink.start({ fallback: (req) => ({ status: 200, body: { headers: req.headers, query: Object.fromEntries(req.query), body: req.body } }) });
    dir = await mkdtemp(join(tmpdir(), 'hookflow-secret-'));
  });
  after(async () => {
    await sink.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('secrets from env and from a file are filled in and never appear in the result', async () => {
    const file = join(dir, 'api_key');
    await writeFile(file, `${FILE_SECRET}\n`);
    const acts = createActivities({ env: { HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1', HOOKFLOW_SECRET_TOKEN: TOKEN, HOOKFLOW_SECRET_API_KEY_FILE: file } });
    const params: HttpParams = { url: '', headers: { Authorization: '' }, json: { note: 'hello' } };
    const result = await run(
      activityEnv(),
      acts.http,
      input(params, [
        { path: ['headers', 'Authorization'], parts: ['Bearer ', { secret: 'TOKEN' }] },
        { path: ['url'], parts: [`${sink.url}/echo?key=`, { secret: 'API_KEY' }] },
      ]),
    );
    const req = sink.requests.at(-1);
    assert.ok(req);
    assert.equal(req.headers['authorization'], `Bearer ${TOKEN}`);
    assert.equal(req.query.get('key'), FILE_SECRET);
    const text = JSON.stringify(result);
    assert.ok(!text.includes(TOKEN), text);
    assert.ok(!text.includes(FILE_SECRET), text);
    assert.match(text, /\[redacted\]/);
    // The caller's params are not modified: the workflow's copy never holds the secret.
    assert.equal(params.headers?.['Authorization'], '');
  });

  test('a server that echoes the secret in an error does not leak it into the failure message', async () => {
    sink.script([{ status: 401, body: `invalid token Bearer ${TOKEN}` }]);
    const acts = createActivities({ env: { HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1', HOOKFLOW_SECRET_TOKEN: TOKEN } });
    const failure = await failureOf(
      run(
        activityEnv(),
        acts.http,
        input({ url: `${sink.url}/private?token=` }, [{ path: ['url'], parts: [`${sink.url}/private?token=`, { secret: 'TOKEN' }] }]),
      ),
    );
    assert.equal(failure.type, 'HttpRejected');
    assert.ok(!failure.message.includes(TOKEN), failure.message);
    assert.match(failure.message, /→ 401/);
  });

  test('an unknown secret fails without retry, naming the env var', async () => {
    const acts = createActivities({ env: { HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1' } });
    const before = sink.requests.length;
    const failure = await failureOf(
      run(activityEnv(), acts.http, input({ url: sink.url, headers: { 'X-Key': '' } }, [{ path: ['headers', 'X-Key'], parts: [{ secret: 'MISSING_ONE' }] }])),
    );
    assert.equal(failure.type, 'SecretMissing');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /HOOKFLOW_SECRET_MISSING_ONE/);
    assert.equal(sink.requests.length, before);
  });
});

describe('http activity: a secret that begins the url', () => {
  test('must be an absolute http(s) URL: a bare host is refused without retry, its value not shown', async () => {
    const acts = createActivities({ env: { HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1', HOOKFLOW_SECRET_API_URL: 'api.internal.example' } });
    const failure = await failureOf(run(activityEnv(), acts.http, input({ url: '' }, [{ path: ['url'], parts: [{ secret: 'API_URL' }, '/v3/users/u1'] }])));
    assert.equal(failure.type, 'InvalidParams');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /secret\.API_URL begins the url.*HOOKFLOW_SECRET_API_URL/);
    assert.ok(!failure.message.includes('api.internal.example'), failure.message);
  });
});

describe('http activity: a secret is redacted in every form it takes, before anything is cut', () => {
  let sink: httpSink.HttpSink;
  const TOKEN = 'tok 12:34/"quoted"@x';
  const secretEnv = { HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1,localhost', HOOKFLOW_SECRET_TOKEN: TOKEN };

  before(async () => {
    sink = await httpSink.start();
  });
  after(async () => {
    await sink.close();
  });

  /** Runs one http step whose url is `prefix + secret TOKEN + suffix`; returns its failure or result as text, and what the attempt's log line gets from the activity. */
  async function attempt(url: [string, string], secret = 'TOKEN', env: Record<string, string> = secretEnv): Promise<{ text: string; logs: string }> {
    const facts: Record<string, unknown> = {};
    const acts = createActivities({ env });
    try {
      const result = await gatherAttemptFacts(facts, () =>
        run(activityEnv(), acts.http, input({ url: '' }, [{ path: ['url'], parts: [url[0], { secret }, url[1]] }])),
      );
      return { text: JSON.stringify(result), logs: JSON.stringify(facts) };
    } catch (err) {
      return { text: (err as Error).message, logs: JSON.stringify(facts) };
    }
  }

  const leaks = (text: string, secret: string): string[] =>
    [
      secret,
      encodeURIComponent(secret),
      new URL(`http://h/?${secret}`).search.slice(1),
      JSON.stringify(secret).slice(1, -1),
      secret.slice(0, -1),
      secret.slice(1),
    ].filter((f) => f.length > 3 && text.includes(f));

  test('a secret with spaces and quotes in the URL: not in the failure, not in the log, in no encoding', async () => {
    sink.script([{ status: 404, body: 'no such key' }]);
    const { text, logs } = await attempt([`${sink.url}/k?key=`, '']);
    assert.match(text, /→ 404/);
    assert.deepEqual(leaks(text, TOKEN), [], text);
    assert.deepEqual(leaks(logs, TOKEN), [], logs);
    assert.match(logs, /\[redacted\]/);
  });

  test('a secret URL with an upper-case host is not printed in its normalised form', async () => {
    const secretUrl = `http://LocalHost:${sink.port}/hooks/T0001/B0002/abcdefSECRETpath`;
    sink.script([{ status: 500, body: 'down' }]);
    const { text } = await attempt(['', ''], 'HOOK', { ...secretEnv, HOOKFLOW_SECRET_HOOK: secretUrl });
    assert.match(text, /→ 500/);
    assert.ok(!text.includes('abcdefSECRETpath'), text);
    assert.ok(!text.toLowerCase().includes(secretUrl.toLowerCase()), text);
  });

  test('an error body is redacted before it is cut at 500 characters (no 17 of 18 characters left)', async () => {
    const token = 'abcdefghijklmnopqr'; // 18 characters, straddling the cut at 500
    sink.script([{ status: 400, body: `${'x'.repeat(490)} ${token} tail` }]);
    const { text } = await attempt([`${sink.url}/x?t=`, ''], 'SHORT', { ...secretEnv, HOOKFLOW_SECRET_SHORT: token });
    assert.match(text, /→ 400/);
    assert.deepEqual(leaks(text, token), [], text);
    assert.ok(!text.includes(token.slice(0, 9)), text);
  });

  test('a JSON error body echoing the secret JSON-escaped is redacted', async () => {
    sink.script([{ status: 422, body: { error: `bad key ${TOKEN}` } }]);
    const { text } = await attempt([`${sink.url}/x?key=`, '']);
    assert.match(text, /→ 422/);
    assert.deepEqual(leaks(text, TOKEN), [], text);
  });

  test('a response cut at its 64 KiB cap inside a secret keeps none of it in the result', async () => {
    const token = 'zyxwvutsrqponmlkjihg';
    const cap = 64 * 1024;
    sink.script([{ status: 200, headers: { 'content-type': 'text/plain' }, body: `${'y'.repeat(cap - 10)}${token}${'y'.repeat(100)}` }]);
    const { text } = await attempt([`${sink.url}/big?t=`, ''], 'SHORT', { ...secretEnv, HOOKFLOW_SECRET_SHORT: token });
    assert.match(text, /"truncated":true/);
    assert.ok(!text.includes(token.slice(0, 10)), text.slice(-200));
  });
});
