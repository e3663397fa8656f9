import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sign as octokitSign, verify as octokitVerify } from '@octokit/webhooks-methods';
import { getProvider } from '../../../src/providers/index.js';
import { NOW, assertIngressError, bodyOf, fixture, fixtureHeaders, noEvaluate, pick, request, source } from './helpers.js';

const github = getProvider('github')!;
const SECRET = 'gh-secret-2024';
const push = fixture('github/push.json');

function signed(body: Buffer | string, secret = SECRET, extra: Record<string, string> = {}) {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const { headers } = github.sign({
    body: raw,
    secret,
    url: 'https://hooks.example.com/hooks/github',
    contentType: 'application/json',
    now: NOW,
    headers: fixtureHeaders('github/push.headers.json'),
  });
  return request({ body: raw, headers: { ...headers, ...extra } });
}

describe('github preset', () => {
  it('accepts GitHub\'s documented example (secret "It\'s a Secret to Everybody", body "Hello, World!")', () => {
    const req = request({
      body: 'Hello, World!',
      headers: { 'X-Hub-Signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' },
    });
    github.verify(req, source('github', ["It's a Secret to Everybody"]), NOW);
  });

  it('accepts a push signed by its own sign() and describes it from the headers', () => {
    const req = signed(push);
    github.verify(req, source('github', [SECRET]), NOW);
    assert.deepEqual(github.describe(req, bodyOf(req), source('github', [SECRET]), noEvaluate), {
      type: 'push',
      id: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    });
  });

  it('agrees with @octokit/webhooks-methods both ways', async () => {
    const payload = push.toString('utf8');
    const theirs = await octokitSign(SECRET, payload);
    github.verify(request({ body: push, headers: { 'X-Hub-Signature-256': theirs } }), source('github', [SECRET]), NOW);
    const ours = pick(signed(push).headers as Record<string, string>, 'x-hub-signature-256');
    assert.equal(await octokitVerify(SECRET, payload, ours), true);
    assert.equal(ours, theirs);
  });

  it('refuses a tampered body', () => {
    const req = signed(push);
    req.rawBody = Buffer.from(push.toString('utf8').replace('Fix the README link', 'Delete everything'));
    assertIngressError(() => github.verify(req, source('github', [SECRET]), NOW), 401, 'bad_signature', 'X-Hub-Signature-256', 'GITHUB_WEBHOOK_SECRET');
  });

  it('refuses a wrong secret', () => {
    assertIngressError(() => github.verify(signed(push, 'not-the-secret'), source('github', [SECRET]), NOW), 401, 'bad_signature');
  });

  it('accepts either secret while rotating', () => {
    const src = source('github', ['old-secret', SECRET]);
    github.verify(signed(push, SECRET), src, NOW);
    github.verify(signed(push, 'old-secret'), src, NOW);
    assertIngressError(() => github.verify(signed(push, 'third'), src, NOW), 401, 'bad_signature', '2 secrets tried');
  });

  it('names the missing header', () => {
    const req = request({ body: push, headers: { 'X-GitHub-Event': 'push' } });
    assertIngressError(() => github.verify(req, source('github', [SECRET]), NOW), 401, 'missing_signature', 'X-Hub-Signature-256');
  });

  it('refuses the legacy sha1 form and a bare hex value', () => {
    const hex = pick(signed(push).headers as Record<string, string>, 'x-hub-signature-256').slice('sha256='.length);
    for (const value of [`sha1=${hex}`, hex, `sha256=${hex.toUpperCase()}x`]) {
      assertIngressError(
        () => github.verify(request({ body: push, headers: { 'X-Hub-Signature-256': value } }), source('github', [SECRET]), NOW),
        401,
        'bad_signature',
      );
    }
  });

  it('refuses two different copies of the signature header', () => {
    const good = pick(signed(push).headers as Record<string, string>, 'x-hub-signature-256');
    const bad = `sha256=${'0'.repeat(64)}`;
    assertIngressError(
      () => github.verify(request({ body: push, headers: { 'X-Hub-Signature-256': [good, bad] } }), source('github', [SECRET]), NOW),
      401,
      'duplicate_header',
    );
    // Node joins repeated unknown headers with ", ".
    assertIngressError(
      () => github.verify(request({ body: push, headers: { 'X-Hub-Signature-256': `${good}, ${bad}` } }), source('github', [SECRET]), NOW),
      401,
      'duplicate_header',
    );
    // The same value twice is unambiguous.
    github.verify(request({ body: push, headers: { 'X-Hub-Signature-256': [good, good] } }), source('github', [SECRET]), NOW);
  });

  it('refuses when no secret is configured, naming the variable', () => {
    assertIngressError(() => github.verify(signed(push), source('github', []), NOW), 401, 'no_secret', 'GITHUB_WEBHOOK_SECRET', 'verify: none');
  });

  it('asks for X-GitHub-Event when it is missing', () => {
    const req = request({ body: push, headers: {} });
    assertIngressError(() => github.describe(req, bodyOf(req), source('github', [SECRET]), noEvaluate), 400, 'no_event_type', 'X-GitHub-Event');
  });

  it('sign() guesses the event from the body when no header names it', () => {
    const { headers } = github.sign({
      body: Buffer.from('{"zen":"Keep it logically awesome.","hook_id":1}'),
      secret: SECRET,
      url: 'x',
      contentType: 'application/json',
      now: NOW,
    });
    assert.equal(pick(headers, 'x-github-event'), 'ping');
  });
});
