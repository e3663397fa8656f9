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
    const { params: filled, redactor } = fillSecrets(params, [
      { path: ['headers', 'Authorization'], parts: ['Bearer ', { secret: 'A' }] },
      { path: ['list', 1], parts: [{ secret: 'A' }, ':', { secret: 'B' }] },
      { path: ['auth', 'basic', 'password'], parts: [{ secret: 'B' }] },
    ], env);
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
