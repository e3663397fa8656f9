import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import Stripe from 'stripe';
import { getProvider } from '../../../src/providers/index.js';
import { NOW, NOW_S, assertIngressError, bodyOf, fixture, noEvaluate, pick, request, source } from './helpers.js';

const stripe = getProvider('stripe')!;
const SECRET = 'whsec_5f1d7c0b3c0e4a9a8d6b2e1f0a9c8b7d';
const event = fixture('stripe/payment_intent.succeeded.json');
const src = (secrets = [SECRET]) => source('stripe', secrets);

function v1(secret: string, t: number, body: Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}
function req(header: string, body: Buffer = event) {
  return request({ body, headers: { 'Stripe-Signature': header } });
}

describe('stripe preset', () => {
  it('accepts a delivery and describes it from the body', () => {
    const r = req(`t=${NOW_S},v1=${v1(SECRET, NOW_S, event)}`);
    stripe.verify(r, src(), NOW);
    assert.deepEqual(stripe.describe(r, bodyOf(r), src(), noEvaluate), { type: 'payment_intent.succeeded', id: 'evt_3P5lYx2eZvKYlo2C0vWc1Abc' });
  });

  it("agrees with stripe's own generateTestHeaderString and constructEvent", () => {
    const payload = event.toString('utf8');
    const theirs = Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp: NOW_S });
    stripe.verify(req(theirs), src(), NOW);
    const ours = pick(stripe.sign({ body: event, secret: SECRET, url: '', contentType: 'application/json', now: NOW }).headers, 'stripe-signature');
    assert.equal(ours, theirs);
    const parsed = Stripe.webhooks.constructEvent(payload, ours, SECRET, 300, undefined, NOW.getTime());
    assert.equal(parsed.type, 'payment_intent.succeeded');
  });

  it('accepts several v1 signatures when one matches (Stripe rolling the secret)', () => {
    stripe.verify(req(`t=${NOW_S},v1=${v1('whsec_previous', NOW_S, event)},v1=${v1(SECRET, NOW_S, event)},v0=abc`), src(), NOW);
  });

  it('accepts either configured secret while rotating', () => {
    const rotating = src(['whsec_old', SECRET]);
    stripe.verify(req(`t=${NOW_S},v1=${v1('whsec_old', NOW_S, event)}`), rotating, NOW);
    stripe.verify(req(`t=${NOW_S},v1=${v1(SECRET, NOW_S, event)}`), rotating, NOW);
  });

  it('keys the HMAC with the whole whsec_ string, not its decoded part', () => {
    const decodedKey = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
    const wrong = createHmac('sha256', decodedKey).update(`${NOW_S}.`).update(event).digest('hex');
    assertIngressError(() => stripe.verify(req(`t=${NOW_S},v1=${wrong}`), src(), NOW), 401, 'bad_signature');
  });

  it('refuses a tampered body and a wrong secret', () => {
    const tampered = Buffer.from(event.toString().replace('"amount": 2000', '"amount": 1'));
    assertIngressError(() => stripe.verify(req(`t=${NOW_S},v1=${v1(SECRET, NOW_S, event)}`, tampered), src(), NOW), 401, 'bad_signature', 'Stripe-Signature');
    assertIngressError(() => stripe.verify(req(`t=${NOW_S},v1=${v1('whsec_other', NOW_S, event)}`), src(), NOW), 401, 'bad_signature');
  });

  it('refuses a re-dated signature (t changed, v1 kept)', () => {
    assertIngressError(() => stripe.verify(req(`t=${NOW_S + 1},v1=${v1(SECRET, NOW_S, event)}`), src(), NOW), 401, 'bad_signature');
  });

  for (const [name, t] of [
    ['stale', NOW_S - 301],
    ['future', NOW_S + 301],
  ] as const) {
    it(`refuses a ${name} timestamp, saying the allowed skew`, () => {
      assertIngressError(
        () => stripe.verify(req(`t=${t},v1=${v1(SECRET, t, event)}`), src(), NOW),
        401,
        'stale_timestamp',
        '300 s',
        name === 'stale' ? 'in the past' : 'in the future',
      );
    });
  }

  it('accepts timestamps at the edge of the window', () => {
    for (const t of [NOW_S - 300, NOW_S + 300]) stripe.verify(req(`t=${t},v1=${v1(SECRET, t, event)}`), src(), NOW);
  });

  it('names a missing header, and a header without t or v1', () => {
    assertIngressError(() => stripe.verify(request({ body: event }), src(), NOW), 401, 'missing_signature', 'Stripe-Signature');
    assertIngressError(() => stripe.verify(req(`v1=${v1(SECRET, NOW_S, event)}`), src(), NOW), 401, 'bad_signature', 't=');
    assertIngressError(() => stripe.verify(req(`t=${NOW_S},v0=abc`), src(), NOW), 401, 'bad_signature', 'v1=');
  });

  it('refuses with no secret configured, naming the variable', () => {
    assertIngressError(() => stripe.verify(req(`t=${NOW_S},v1=${v1(SECRET, NOW_S, event)}`), src([]), NOW), 401, 'no_secret', 'STRIPE_WEBHOOK_SECRET');
  });
});
