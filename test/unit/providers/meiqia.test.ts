import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { getProvider } from '../../../src/providers/index.js';
import { NOW, assertIngressError, bodyOf, fixture, noEvaluate, request, source } from './helpers.js';

describe('meiqia preset', () => {
  const meiqia = getProvider('meiqia')!;
  const SECRET = 'mq-0c6e1d9f3a';
  const body = fixture('meiqia/conversation.updated.json');
  const src = (secrets = [SECRET]) => source('meiqia', secrets);
  // Meiqia's recipe: SHA1 over the body text followed by the secret — a plain hash, no HMAC.
  const sign = (secret: string, b: Buffer | string = body) =>
    createHash('sha1')
      .update(Buffer.concat([Buffer.from(b), Buffer.from(secret)]))
      .digest('hex');

  it('accepts Meiqia-Sign (its sample) and Meiqia-Signature (its prose) and describes the event', () => {
    for (const header of ['Meiqia-Sign', 'Meiqia-Signature']) {
      const r = request({ body, headers: { 'Content-Type': 'application/json; charset=utf-8', [header]: sign(SECRET) } });
      meiqia.verify(r, src(), NOW);
      assert.deepEqual(meiqia.describe(r, bodyOf(r), src(), noEvaluate), {
        type: 'conversation.updated',
        id: 'sub_09e4bee581ffbcd347fcf634e0f99df8_1632648830',
      });
    }
  });

  it('refuses an HMAC-SHA1 (not the scheme), a tampered body and a wrong secret', () => {
    const hmacSig = createHmac('sha1', SECRET).update(body).digest('hex');
    assertIngressError(() => meiqia.verify(request({ body, headers: { 'Meiqia-Sign': hmacSig } }), src(), NOW), 401, 'bad_signature', 'Meiqia-Sign');
    assertIngressError(
      () => meiqia.verify(request({ body: body.toString().replace('97631', '1'), headers: { 'Meiqia-Sign': sign(SECRET) } }), src(), NOW),
      401,
      'bad_signature',
    );
    assertIngressError(
      () => meiqia.verify(request({ body, headers: { 'Meiqia-Sign': sign('nope') } }), src(), NOW),
      401,
      'bad_signature',
      'MEIQIA_WEBHOOK_SECRET',
    );
  });

  it('accepts either secret while rotating; names the missing header; refuses without a secret', () => {
    meiqia.verify(request({ body, headers: { 'Meiqia-Sign': sign('old') } }), src(['old', SECRET]), NOW);
    assertIngressError(() => meiqia.verify(request({ body }), src(), NOW), 401, 'missing_signature', 'Meiqia-Sign or Meiqia-Signature');
    assertIngressError(
      () => meiqia.verify(request({ body, headers: { 'Meiqia-Sign': sign(SECRET) } }), src([]), NOW),
      401,
      'no_secret',
      'MEIQIA_WEBHOOK_SECRET',
    );
  });

  it('round-trips sign() → verify() on a client.created delivery with non-ASCII text', () => {
    const created = fixture('meiqia/client.created.json');
    const { headers } = meiqia.sign({ body: created, secret: SECRET, url: '', contentType: 'application/json; charset=utf-8', now: NOW });
    const r = request({ body: created, headers });
    meiqia.verify(r, src(), NOW);
    assert.equal(meiqia.describe(r, bodyOf(r), src(), noEvaluate).type, 'client.created');
  });
});
