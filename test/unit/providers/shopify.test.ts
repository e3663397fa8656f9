import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { getProvider } from '../../../src/providers/index.js';
import { NOW, assertIngressError, bodyOf, fixture, fixtureHeaders, noEvaluate, pick, request, source } from './helpers.js';

const shopify = getProvider('shopify')!;
const SECRET = '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';
const order = fixture('shopify/orders-create.json');
const meta = fixtureHeaders('shopify/orders-create.headers.json');
const src = (secrets = [SECRET]) => source('shopify', secrets);

const mac = (secret: string, body: Buffer | string) => createHmac('sha256', secret).update(body).digest('base64');
const req = (signature: string, body: Buffer | string = order) => request({ body, headers: { ...meta, 'X-Shopify-Hmac-Sha256': signature } });

describe('shopify preset', () => {
  it("accepts the vector of Shopify's own library tests (shopify-api-js webhooks/validate)", () => {
    // secret "test_secret_key", body '{"foo": "bar"}' → the HMAC its test expects.
    shopify.verify(req('B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=', '{"foo": "bar"}'), src(['test_secret_key']), NOW);
  });

  it('accepts an order and describes it from the topic and webhook id headers', () => {
    const r = req(mac(SECRET, order));
    shopify.verify(r, src(), NOW);
    assert.deepEqual(shopify.describe(r, bodyOf(r), src(), noEvaluate), { type: 'orders/create', id: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' });
  });

  it('refuses a tampered body and a wrong secret', () => {
    assertIngressError(
      () => shopify.verify(req(mac(SECRET, order), order.toString().replace('403.00', '0.01')), src(), NOW),
      401,
      'bad_signature',
      'X-Shopify-Hmac-Sha256',
      'SHOPIFY_WEBHOOK_SECRET',
    );
    assertIngressError(() => shopify.verify(req(mac('another-app', order)), src(), NOW), 401, 'bad_signature');
  });

  it('refuses a hex digest where Shopify sends base64', () => {
    const hex = createHmac('sha256', SECRET).update(order).digest('hex');
    assertIngressError(() => shopify.verify(req(hex), src(), NOW), 401, 'bad_signature');
  });

  it('accepts either secret while rotating', () => {
    shopify.verify(req(mac('old-client-secret', order)), src(['old-client-secret', SECRET]), NOW);
    shopify.verify(req(mac(SECRET, order)), src(['old-client-secret', SECRET]), NOW);
  });

  it('names the missing header, asks for the topic, and refuses without a secret', () => {
    assertIngressError(() => shopify.verify(request({ body: order, headers: meta }), src(), NOW), 401, 'missing_signature', 'X-Shopify-Hmac-Sha256');
    const noTopic = request({ body: order });
    assertIngressError(() => shopify.describe(noTopic, bodyOf(noTopic), src(), noEvaluate), 400, 'no_event_type', 'X-Shopify-Topic');
    assertIngressError(() => shopify.verify(req(mac(SECRET, order)), src([]), NOW), 401, 'no_secret', 'SHOPIFY_WEBHOOK_SECRET');
  });

  it('round-trips sign() → verify(), guessing orders/create for an order body', () => {
    const { headers } = shopify.sign({ body: order, secret: SECRET, url: '', contentType: 'application/json', now: NOW });
    assert.equal(pick(headers, 'x-shopify-topic'), 'orders/create');
    const r = request({ body: order, headers });
    shopify.verify(r, src(), NOW);
    assert.equal(shopify.describe(r, bodyOf(r), src(), noEvaluate).id, pick(headers, 'x-shopify-webhook-id'));
  });
});
