import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { getProvider } from '../../../src/providers/index.js';
import { NOW, NOW_S, assertIngressError, bodyOf, fixture, noEvaluate, pick, request, source } from './helpers.js';

const sw = getProvider('standard-webhooks')!;
// The test vector of the Standard Webhooks specification.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const SECRET = 'whsec_' + Buffer.from('a 32-byte secret for the tests!!').toString('base64');
const invoice = fixture('standard-webhooks/invoice.paid.json');
const src = (secrets = [SECRET], name = 'standard-webhooks') => source(name, secrets);

function sig(secret: string, id: string, ts: number, body: Buffer | string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return 'v1,' + createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest('base64');
}
function req(signature: string, ts = NOW_S, body: Buffer | string = invoice, id = 'msg_2b8Zq', prefix = 'webhook') {
  return request({ body, headers: { [`${prefix}-id`]: id, [`${prefix}-timestamp`]: String(ts), [`${prefix}-signature`]: signature } });
}

describe('standard-webhooks preset', () => {
  it('accepts the specification test vector', () => {
    const at = new Date(VECTOR.timestamp * 1000);
    sw.verify(req(VECTOR.signature, VECTOR.timestamp, VECTOR.body, VECTOR.id), src([VECTOR.secret]), at);
  });

  it('accepts a delivery and describes it (type from body, id from webhook-id)', () => {
    const r = req(sig(SECRET, 'msg_2b8Zq', NOW_S, invoice));
    sw.verify(r, src(), NOW);
    assert.deepEqual(sw.describe(r, bodyOf(r), src(), noEvaluate), { type: 'invoice.paid', id: 'msg_2b8Zq' });
  });

  it('agrees with the standardwebhooks library both ways', () => {
    const wh = new Webhook(SECRET);
    const theirs = wh.sign('msg_lib', NOW, invoice.toString('utf8'));
    sw.verify(req(theirs, NOW_S, invoice, 'msg_lib'), src(), NOW);

    const signed = sw.sign({ body: invoice, secret: SECRET, url: '', contentType: 'application/json', now: NOW });
    const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
    // The library checks against the real clock; our signature is dated NOW (2024), so give it a fresh one.
    const fresh = sw.sign({ body: invoice, secret: SECRET, url: '', contentType: 'application/json', now: new Date() });
    const freshHeaders = Object.fromEntries(Object.entries(fresh.headers).map(([k, v]) => [k.toLowerCase(), v]));
    assert.deepEqual(wh.verify(invoice.toString('utf8'), freshHeaders), JSON.parse(invoice.toString('utf8')));
    assert.match(pick(headers, 'webhook-signature'), /^v1,[A-Za-z0-9+/]+=*$/);
  });

  it('accepts svix-* headers under the svix alias', () => {
    const svix = getProvider('svix')!;
    assert.equal(svix.name, 'standard-webhooks');
    const r = req(sig(SECRET, 'msg_svix', NOW_S, invoice), NOW_S, invoice, 'msg_svix', 'svix');
    svix.verify(r, src([SECRET], 'svix'), NOW);
    assert.equal(svix.describe(r, bodyOf(r), src(), noEvaluate).id, 'msg_svix');
  });

  it('accepts one matching signature among several (space-separated, other versions ignored)', () => {
    const good = sig(SECRET, 'msg_2b8Zq', NOW_S, invoice);
    sw.verify(req(`v1a,AAAA ${sig('whsec_' + Buffer.from('old').toString('base64'), 'msg_2b8Zq', NOW_S, invoice)} ${good}`), src(), NOW);
  });

  it('accepts either configured secret while rotating', () => {
    const old = 'whsec_' + Buffer.from('the previous secret of this hook').toString('base64');
    sw.verify(req(sig(old, 'msg_2b8Zq', NOW_S, invoice)), src([old, SECRET]), NOW);
    sw.verify(req(sig(SECRET, 'msg_2b8Zq', NOW_S, invoice)), src([old, SECRET]), NOW);
  });

  it('refuses a tampered body, a changed id and a wrong secret', () => {
    const good = sig(SECRET, 'msg_2b8Zq', NOW_S, invoice);
    assertIngressError(() => sw.verify(req(good, NOW_S, invoice.toString().replace('4900', '1')), src(), NOW), 401, 'bad_signature', 'webhook-signature');
    assertIngressError(() => sw.verify(req(good, NOW_S, invoice, 'msg_other'), src(), NOW), 401, 'bad_signature');
    const other = 'whsec_' + Buffer.from('somebody else entirely').toString('base64');
    assertIngressError(() => sw.verify(req(sig(other, 'msg_2b8Zq', NOW_S, invoice)), src(), NOW), 401, 'bad_signature');
  });

  for (const [name, ts] of [
    ['stale', NOW_S - 301],
    ['future', NOW_S + 301],
  ] as const) {
    it(`refuses a ${name} timestamp`, () => {
      assertIngressError(() => sw.verify(req(sig(SECRET, 'msg_2b8Zq', ts, invoice), ts), src(), NOW), 401, 'stale_timestamp', 'webhook-timestamp', '300 s');
    });
  }

  it('names each missing header', () => {
    const good = sig(SECRET, 'msg_2b8Zq', NOW_S, invoice);
    assertIngressError(() => sw.verify(request({ body: invoice }), src(), NOW), 401, 'missing_signature', 'webhook-signature');
    assertIngressError(
      () => sw.verify(request({ body: invoice, headers: { 'webhook-signature': good, 'webhook-timestamp': String(NOW_S) } }), src(), NOW),
      401,
      'missing_signature',
      'webhook-id',
    );
    assertIngressError(
      () => sw.verify(request({ body: invoice, headers: { 'webhook-signature': good, 'webhook-id': 'msg_2b8Zq' } }), src(), NOW),
      401,
      'missing_signature',
      'webhook-timestamp',
    );
  });

  it('refuses a header without any v1 signature, and no secret', () => {
    assertIngressError(() => sw.verify(req('v1a,AAAA'), src(), NOW), 401, 'bad_signature', 'v1');
    assertIngressError(() => sw.verify(req(sig(SECRET, 'msg_2b8Zq', NOW_S, invoice)), src([]), NOW), 401, 'no_secret', 'STANDARD_WEBHOOKS_WEBHOOK_SECRET');
  });
});

describe('standard-webhooks: a secret that gives no key', () => {
  // An empty HMAC key is a key anyone has: a delivery signed with it must never pass.
  const forged = (secret: string) => {
    const empty = createHmac('sha256', Buffer.alloc(0)).update(`msg_2b8Zq.${NOW_S}.`).update(invoice).digest('base64');
    return sw.verify(req(`v1,${empty}`), src([secret]), NOW);
  };
  for (const secret of ['whsec_', 'whsec_!!!!', 'whsec_a', 'whsec_abc!def']) {
    it(`${JSON.stringify(secret)} refuses every request, naming the variable`, () => {
      assertIngressError(() => forged(secret), 401, 'no_secret', 'STANDARD_WEBHOOKS_WEBHOOK_SECRET', 'whsec_');
    });
  }

  it('an unusable secret next to a good one (rotation) is skipped, the good one still works', () => {
    sw.verify(req(sig(SECRET, 'msg_2b8Zq', NOW_S, invoice)), src(['whsec_', SECRET]), NOW);
    assertIngressError(() => forged(`whsec_,${SECRET}`.split(',')[0]!), 401, 'no_secret');
  });

  it('base64url keys (the reference library accepts both alphabets) still verify', () => {
    const url = 'whsec_' + Buffer.from('a key with ~~~ and ??? in base64').toString('base64url');
    assert.match(url, /[-_]/);
    sw.verify(req(sig(url, 'msg_2b8Zq', NOW_S, invoice)), src([url]), NOW);
  });
});
