import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { bodyHashId, getProvider } from '../../../src/providers/index.js';
import { NOW, assertIngressError, bodyOf, fixture, noEvaluate, request, source } from './helpers.js';

describe('sendbird preset', () => {
  const sendbird = getProvider('sendbird')!;
  const TOKEN = 'a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9';
  const body = fixture('sendbird/group_channel-message_send.json');
  const src = (secrets = [TOKEN]) => source('sendbird', secrets);
  const sign = (secret: string, b: Buffer | string = body) => createHmac('sha256', secret).update(b).digest('hex');

  it('accepts a message_send and describes it by category, with the body hash as id', () => {
    const r = request({ body, headers: { 'x-sendbird-signature': sign(TOKEN) } });
    sendbird.verify(r, src(), NOW);
    const described = sendbird.describe(r, bodyOf(r), src(), noEvaluate);
    assert.equal(described.type, 'group_channel:message_send');
    assert.equal(described.id, createHash('sha256').update(body).digest('hex').slice(0, 32));
    assert.equal(described.id, bodyHashId(body));
  });

  it('gives the same id to a retry and a different one to another message', () => {
    const other = Buffer.from(body.toString().replace('1102358093', '1102358094'));
    const id = (b: Buffer) => sendbird.describe(request({ body: b }), bodyOf(request({ body: b })), src(), noEvaluate).id;
    assert.equal(id(body), id(Buffer.from(body)));
    assert.notEqual(id(body), id(other));
  });

  it('refuses a tampered body and a wrong token; accepts a rotated one; names the missing header', () => {
    assertIngressError(
      () => sendbird.verify(request({ body: body.toString().replace('standup', 'party'), headers: { 'x-sendbird-signature': sign(TOKEN) } }), src(), NOW),
      401,
      'bad_signature',
      'X-Sendbird-Signature',
    );
    assertIngressError(() => sendbird.verify(request({ body, headers: { 'x-sendbird-signature': sign('other') } }), src(), NOW), 401, 'bad_signature');
    sendbird.verify(request({ body, headers: { 'x-sendbird-signature': sign('old-token') } }), src(['old-token', TOKEN]), NOW);
    assertIngressError(() => sendbird.verify(request({ body }), src(), NOW), 401, 'missing_signature', 'X-Sendbird-Signature');
    assertIngressError(
      () => sendbird.verify(request({ body, headers: { 'x-sendbird-signature': sign(TOKEN) } }), src([]), NOW),
      401,
      'no_secret',
      'SENDBIRD_WEBHOOK_SECRET',
    );
  });

  it('accepts the legacy x-signature header', () => {
    sendbird.verify(request({ body, headers: { 'x-signature': sign(TOKEN) } }), src(), NOW);
  });
});
