// Secret resolution (env, *_FILE), filling into params by path, and redaction.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { Redactor, fillSecrets, resolveSecret } from '../../src/activities/secrets.js';
import type { Json } from '../../src/core/types.js';

function failureOf(fn: () => unknown): ApplicationFailure {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a failure');
}

describe('resolveSecret', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookflow-secrets-'));
    await writeFile(join(dir, 'crlf'), 'from-file-crlf\r\n');
    await writeFile(join(dir, 'plain'), 'from-file');
    await writeFile(join(dir, 'two-lines'), 'line1\nline2\n');
    await writeFile(join(dir, 'empty'), '\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('table', () => {
    const cases: Array<{ name: string; env: Record<string, string>; expect: string | RegExp }> = [
      { name: 'TOKEN', env: { HOOKFLOW_SECRET_TOKEN: 'abc' }, expect: 'abc' },
      { name: 'TOKEN', env: { HOOKFLOW_SECRET_TOKEN: 'env-wins', HOOKFLOW_SECRET_TOKEN_FILE: join(dir, 'plain') }, expect: 'env-wins' },
      { name: 'TOKEN', env: { HOOKFLOW_SECRET_TOKEN_FILE: join(dir, 'plain') }, expect: 'from-file' },
      { name: 'TOKEN', env: { HOOKFLOW_SECRET_TOKEN_FILE: join(dir, 'crlf') }, expect: 'from-file-crlf' },
      { name: 'TOKEN', env: { HOOKFLOW_SECRET_TOKEN_FILE: join(dir, 'two-lines') }, expect: 'line1\nline2' },
      // A recipe may write secret.sendbird_token; the conventional upper-case variable works too.
      { name: 'sendbird_token', env: { HOOKFLOW_SECRET_SENDBIRD_TOKEN: 'up' }, expect: 'up' },
      { name: 'api-key', env: { HOOKFLOW_SECRET_API_KEY: 'dash' }, expect: 'dash' },
      { name: 'TOKEN', env: {}, expect: /secret\.TOKEN is not set: define HOOKFLOW_SECRET_TOKEN \(or HOOKFLOW_SECRET_TOKEN_FILE/ },
      { name: 'TOKEN', env: { HOOKFLOW_SECRET_TOKEN: '' }, expect: /HOOKFLOW_SECRET_TOKEN/ },
      { name: 'TOKEN', env: { HOOKFLOW_SECRET_TOKEN_FILE: join(dir, 'missing') }, expect: /cannot read HOOKFLOW_SECRET_TOKEN_FILE=.*missing \(ENOENT\)/ },
      { name: 'TOKEN', env: { HOOKFLOW_SECRET_TOKEN_FILE: join(dir, 'empty') }, expect: /is empty/ },
    ];
    for (const c of cases) {
      if (typeof c.expect === 'string') {
        assert.equal(resolveSecret(c.name, c.env), c.expect, JSON.stringify(c));
      } else {
        const failure = failureOf(() => resolveSecret(c.name, c.env));
        assert.equal(failure.type, 'SecretMissing');
        assert.equal(failure.nonRetryable, true);
        assert.match(failure.message, c.expect);
      }
    }
  });
});

describe('fillSecrets', () => {
  const env = { HOOKFLOW_SECRET_A: 'alpha-secret', HOOKFLOW_SECRET_B: 'beta-secret' };

  test('fills by path, joining literal and secret parts, creating missing containers', () => {
    const params = { url: 'https://x', headers: { Accept: 'json' }, list: ['keep', 'old'] };
    const { params: filled, redactor } = fillSecrets(
      params,
      [
        { path: ['headers', 'Authorization'], parts: ['Bearer ', { secret: 'A' }] },
        { path: ['list', 1], parts: [{ secret: 'A' }, ':', { secret: 'B' }] },
        { path: ['auth', 'basic', 'password'], parts: [{ secret: 'B' }] },
      ],
      env,
    );
    assert.deepEqual(filled, {
      url: 'https://x',
      headers: { Accept: 'json', Authorization: 'Bearer alpha-secret' },
      list: ['keep', 'alpha-secret:beta-secret'],
      auth: { basic: { password: 'beta-secret' } },
    });
    // The input is not touched.
    assert.deepEqual(params, { url: 'https://x', headers: { Accept: 'json' }, list: ['keep', 'old'] });
    assert.equal(redactor.text('alpha-secret and beta-secret'), '[redacted] and [redacted]');
  });

  test('no fields: the same params, an empty redactor', () => {
    const params = { a: 1 };
    const filled = fillSecrets(params, [], {});
    assert.equal(filled.params, params);
    assert.equal(filled.redactor.size, 0);
  });

  test('a path through a scalar is InvalidParams', () => {
    const failure = failureOf(() => fillSecrets({ url: 'x' }, [{ path: ['url', 'inner'], parts: [{ secret: 'A' }] }], env));
    assert.equal(failure.type, 'InvalidParams');
    assert.match(failure.message, /url is not an object/);
  });
});

describe('Redactor', () => {
  test('text: every form of every value, longest first; short values left alone', () => {
    const r = new Redactor(['s3cr3t/+value', 's3cr3t', 'ab']);
    assert.equal(r.text('x s3cr3t/+value y s3cr3t z'), 'x [redacted] y [redacted] z');
    assert.equal(r.text(`q=${encodeURIComponent('s3cr3t/+value')}`), 'q=[redacted]');
    assert.equal(r.text('about ab'), 'about ab');
  });

  test('json: strings and keys anywhere in the tree', () => {
    const r = new Redactor(['tok-12345']);
    const input: Json = { a: 'Bearer tok-12345', b: [1, 'tok-12345', null, { 'tok-12345': true }], c: 3 };
    assert.deepEqual(r.json(input), { a: 'Bearer [redacted]', b: [1, '[redacted]', null, { '[redacted]': true }], c: 3 });
  });
});

describe('Redactor: every form a secret takes', () => {
  test('URL-normalised forms of a secret URL (host case, default port, trailing slash, user-info dropped)', () => {
    const r = new Redactor(['HTTPS://user:pw@API.Example.COM:443/v1/Hook?k=Ab']);
    for (const shown of ['https://user:pw@api.example.com/v1/Hook?k=Ab', 'https://api.example.com/v1/Hook?k=Ab']) {
      assert.equal(r.text(`POST ${shown} → 500`), 'POST [redacted] → 500', shown);
    }
    const base = new Redactor(['https://API.example.com:443']);
    assert.equal(base.text('GET https://api.example.com/v3/users/7 → 404'), 'GET [redacted]/v3/users/7 → 404');
  });

  test('percent-encoded as a path, a query, a form value, user-info; JSON-escaped as JavaScript, Python and Go write it', () => {
    const secret = 'p@ss w/"q"&<é>';
    const r = new Redactor([secret]);
    const forms = [
      new URL(`http://h/a/${secret}`).pathname.slice(3),
      new URL(`http://h/?k=${secret}`).search.slice(3),
      new URLSearchParams({ k: secret }).toString().slice(2),
      Object.assign(new URL('http://h/'), { password: secret }).password,
      JSON.stringify(secret).slice(1, -1),
      'p@ss w/\\"q\\"&<\\u00e9>',
      'p@ss w/\\"q\\"\\u0026\\u003c\\u00e9\\u003e',
    ];
    for (const f of forms) assert.equal(r.text(`[${f}]`), '[[redacted]]', f);
  });

  test('excerpt redacts before cutting; cutText also removes a secret the cut left incomplete', () => {
    const r = new Redactor(['abcdefghijklmnopqr']);
    const body = `${'x'.repeat(490)}  abcdefghijklmnopqr tail`;
    assert.ok(!r.excerpt(body, 500).includes('abcdefghi'), r.excerpt(body, 500));
    assert.equal(r.cutText('answer: abcdefghij'), 'answer: [redacted]');
    assert.equal(r.cutText('answer: abc'), 'answer: abc', 'shorter than 4 characters: left alone');
  });
});
