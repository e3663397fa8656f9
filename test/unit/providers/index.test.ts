import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { PRESET_NAMES, getProvider, sensitiveHeadersFor } from '../../../src/providers/index.js';
import { NOW, assertIngressError, bodyOf, fixture, fixtureHeaders, noEvaluate, request, source } from './helpers.js';

const ed = generateKeyPairSync('ed25519');
const edPublicHex = Buffer.from(ed.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
const edPrivatePem = ed.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const SW_SECRET = 'whsec_' + Buffer.from('round-trip secret of 32 bytes!!!').toString('base64');

/** One realistic delivery per preset: what sign() gets, what verify() is given, what describe() should say. */
const ROUND_TRIPS: Array<{
  preset: string;
  body: Buffer;
  contentType: string;
  signWith: string;
  verifyWith: string;
  headers?: Record<string, string>;
  type: string;
}> = [
  {
    preset: 'meiqia',
    body: fixture('meiqia/conversation.updated.json'),
    contentType: 'application/json; charset=utf-8',
    signWith: 'mq',
    verifyWith: 'mq',
    type: 'conversation.updated',
  },
  {
    preset: 'sendbird',
    body: fixture('sendbird/group_channel-message_send.json'),
    contentType: 'application/json',
    signWith: 'sb',
    verifyWith: 'sb',
    type: 'group_channel:message_send',
  },
  {
    preset: 'github',
    body: fixture('github/push.json'),
    contentType: 'application/json',
    signWith: 'gh',
    verifyWith: 'gh',
    headers: fixtureHeaders('github/push.headers.json'),
    type: 'push',
  },
  {
    preset: 'stripe',
    body: fixture('stripe/payment_intent.succeeded.json'),
    contentType: 'application/json',
    signWith: 'whsec_x',
    verifyWith: 'whsec_x',
    type: 'payment_intent.succeeded',
  },
  {
    preset: 'slack',
    body: fixture('slack/slash-command.form'),
    contentType: 'application/x-www-form-urlencoded',
    signWith: 'sl',
    verifyWith: 'sl',
    type: '/weather',
  },
  { preset: 'shopify', body: fixture('shopify/orders-create.json'), contentType: 'application/json', signWith: 'sh', verifyWith: 'sh', type: 'orders/create' },
  {
    preset: 'twilio',
    body: fixture('twilio/inbound-sms.form'),
    contentType: 'application/x-www-form-urlencoded',
    signWith: 'tw',
    verifyWith: 'tw',
    type: 'message.received',
  },
  {
    preset: 'standard-webhooks',
    body: fixture('standard-webhooks/invoice.paid.json'),
    contentType: 'application/json',
    signWith: SW_SECRET,
    verifyWith: SW_SECRET,
    type: 'invoice.paid',
  },
  {
    preset: 'svix',
    body: fixture('standard-webhooks/invoice.paid.json'),
    contentType: 'application/json',
    signWith: SW_SECRET,
    verifyWith: SW_SECRET,
    type: 'invoice.paid',
  },
  { preset: 'zoom', body: fixture('zoom/meeting.started.json'), contentType: 'application/json', signWith: 'zm', verifyWith: 'zm', type: 'meeting.started' },
  { preset: 'discord', body: fixture('discord/ping.json'), contentType: 'application/json', signWith: edPrivatePem, verifyWith: edPublicHex, type: 'PING' },
  { preset: 'generic', body: Buffer.from('{"alert":"x"}'), contentType: 'application/json', signWith: 'g', verifyWith: 'g', type: 'webhook' },
];

describe('provider registry', () => {
  it('lists every preset and the svix alias', () => {
    for (const name of ['meiqia', 'sendbird', 'github', 'stripe', 'slack', 'shopify', 'twilio', 'standard-webhooks', 'svix', 'generic', 'zoom', 'discord']) {
      assert.ok(PRESET_NAMES.includes(name), name);
      assert.ok(getProvider(name), name);
    }
    assert.equal(getProvider('svix')?.name, 'standard-webhooks');
  });

  it('knows nothing else, including Object.prototype names', () => {
    for (const name of ['gitlab', 'constructor', '__proto__', 'toString', '']) assert.equal(getProvider(name), undefined, name);
  });

  for (const t of ROUND_TRIPS) {
    it(`${t.preset}: sign() → verify() → describe()`, () => {
      const p = getProvider(t.preset)!;
      const url = `https://hooks.example.com/hooks/${t.preset}`;
      const src = source(t.preset, [t.verifyWith], t.preset === 'generic' ? { verify: { hmac: 'sha256', header: 'X-Signature' } } : {});
      const signed = p.sign({ body: t.body, secret: t.signWith, url, contentType: t.contentType, now: NOW, headers: t.headers, source: src });
      const req = request({ body: t.body, url: signed.url ?? url, headers: signed.headers });
      p.verify(req, src, NOW);
      assert.equal(p.describe(req, bodyOf(req), src, noEvaluate).type, t.type);
      // Each signature is tied to its body.
      const tampered = request({ body: Buffer.concat([t.body, Buffer.from(' ')]), url: signed.url ?? url, headers: signed.headers });
      assertIngressError(() => p.verify(tampered, src, NOW), 401, 'bad_signature');
    });
  }

  it('skips verification for a preset source declared `verify: none`, and only then', () => {
    const github = getProvider('github')!;
    const req = request({ body: '{}', headers: { 'X-GitHub-Event': 'ping' } });
    github.verify(req, source('github', [], { verify: 'none' }), NOW);
    github.verify(req, source('github', [], { verify: { none: true } }), NOW);
    assertIngressError(() => github.verify(req, source('github', []), NOW), 401, 'no_secret', 'GITHUB_WEBHOOK_SECRET');
  });

  it("lets a sources.yaml verify block replace a preset's scheme", () => {
    const shopify = getProvider('shopify')!;
    const src = source('shop-eu', ['tok'], { provider: 'shopify', verify: { token: { header: 'X-Api-Key' } } });
    shopify.verify(request({ body: '{}', headers: { 'X-Api-Key': 'tok' } }), src, NOW);
    assertIngressError(() => shopify.verify(request({ body: '{}', headers: { 'X-Api-Key': 'no' } }), src, NOW), 401, 'bad_signature');
  });

  it('names signature and credential headers to strip from stored events', () => {
    for (const name of PRESET_NAMES) {
      const p = getProvider(name)!;
      const headers = sensitiveHeadersFor(p, source(name, ['s']));
      assert.ok(headers.includes('authorization'), name);
      for (const h of headers) assert.equal(h, h.toLowerCase(), name);
    }
    assert.ok(getProvider('github')!.sensitiveHeaders.includes('x-hub-signature-256'));
    assert.ok(getProvider('stripe')!.sensitiveHeaders.includes('stripe-signature'));
  });
});
