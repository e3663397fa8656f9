import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { getProvider } from '../../../src/providers/index.js';
import { NOW, NOW_S, assertIngressError, bodyOf, fixture, noEvaluate, request, source } from './helpers.js';

const discord = getProvider('discord')!;

function keyPair(): { publicHex: string; privateKey: KeyObject; privatePem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    publicHex: Buffer.from(jwk.x!, 'base64url').toString('hex'),
    privateKey,
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}
const app = keyPair();
const other = keyPair();
const src = (secrets = [app.publicHex]) => source('discord', secrets);
const ping = fixture('discord/ping.json');

function req(body: Buffer | string, key: KeyObject = app.privateKey, ts = NOW_S) {
  const signature = edSign(null, Buffer.concat([Buffer.from(String(ts)), Buffer.from(body)]), key).toString('hex');
  return request({ body, headers: { 'X-Signature-Ed25519': signature, 'X-Signature-Timestamp': String(ts) } });
}

describe('discord preset', () => {
  it('verifies a PING with the public key and answers {"type":1}', () => {
    const r = req(ping);
    discord.verify(r, src(), NOW);
    assert.deepEqual(discord.handshake!(r, bodyOf(r), src()), { status: 200, contentType: 'application/json', body: '{"type":1}' });
    assert.equal(discord.describe(r, bodyOf(r), src(), noEvaluate).type, 'PING');
  });

  it('describes an application command by type, with the interaction id', () => {
    const body = JSON.stringify({ id: '1229385472936183999', application_id: '1', type: 2, token: 't', version: 1, data: { name: 'deploy' } });
    const r = req(body);
    discord.verify(r, src(), NOW);
    assert.equal(discord.handshake!(r, bodyOf(r), src()), undefined);
    assert.deepEqual(discord.describe(r, bodyOf(r), src(), noEvaluate), { type: 'APPLICATION_COMMAND', id: '1229385472936183999' });
  });

  it('answers a webhook-events PING with 204 and describes events by event.type', () => {
    const pingEvent = JSON.stringify({ version: 1, application_id: '1', type: 0 });
    const r = req(pingEvent);
    assert.deepEqual(discord.handshake!(r, bodyOf(r), src()), { status: 204, contentType: 'text/plain', body: '' });
    const authorized = JSON.stringify({
      version: 1,
      application_id: '1',
      type: 1,
      event: { type: 'APPLICATION_AUTHORIZED', timestamp: '2024-04-15T10:00:00Z', data: {} },
    });
    const e = req(authorized);
    discord.verify(e, src(), NOW);
    assert.equal(discord.handshake!(e, bodyOf(e), src()), undefined);
    assert.equal(discord.describe(e, bodyOf(e), src(), noEvaluate).type, 'APPLICATION_AUTHORIZED');
  });

  it('refuses a tampered body, another key, stale and future timestamps', () => {
    const r = req(ping);
    r.rawBody = Buffer.from(ping.toString().replace('"type":1', '"type":2'));
    assertIngressError(() => discord.verify(r, src(), NOW), 401, 'bad_signature', 'X-Signature-Ed25519');
    assertIngressError(() => discord.verify(req(ping, other.privateKey), src(), NOW), 401, 'bad_signature');
    assertIngressError(() => discord.verify(req(ping, app.privateKey, NOW_S - 301), src(), NOW), 401, 'stale_timestamp', 'X-Signature-Timestamp');
    assertIngressError(() => discord.verify(req(ping, app.privateKey, NOW_S + 301), src(), NOW), 401, 'stale_timestamp', 'in the future');
  });

  it('accepts either public key while rotating; names missing headers; explains a malformed key', () => {
    discord.verify(req(ping, other.privateKey), src([app.publicHex, other.publicHex]), NOW);
    assertIngressError(() => discord.verify(request({ body: ping }), src(), NOW), 401, 'missing_signature', 'X-Signature-Ed25519');
    assertIngressError(() => discord.verify(req(ping), src(['not-a-key']), NOW), 401, 'bad_secret', 'DISCORD_WEBHOOK_SECRET', 'public key');
    assertIngressError(() => discord.verify(req(ping), src([]), NOW), 401, 'no_secret', 'DISCORD_WEBHOOK_SECRET');
  });

  it('round-trips sign() with the private key → verify() with the public key; refuses to sign with a public key', () => {
    const { headers } = discord.sign({ body: ping, secret: app.privatePem, url: '', contentType: 'application/json', now: NOW });
    discord.verify(request({ body: ping, headers }), src(), NOW);
    assert.throws(() => discord.sign({ body: ping, secret: app.publicHex, url: '', contentType: 'application/json', now: NOW }), /private key/);
  });
});
