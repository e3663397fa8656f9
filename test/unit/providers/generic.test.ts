import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { evaluate as celEvaluate } from '@marcbachmann/cel-js';
import type { GenericVerify, Json } from '../../../src/core/types.js';
import { bodyHashId, getProvider, sensitiveHeadersFor } from '../../../src/providers/index.js';
import { NOW, assertIngressError, bodyOf, request, source } from './helpers.js';

const generic = getProvider('generic')!;
const SECRET = 'alerts-shared-secret';
const body = Buffer.from('{"alert":{"status":"firing","name":"disk full"},"seq":42}');
const src = (verify: GenericVerify | undefined, secrets = [SECRET], extra = {}) =>
  source('alerts', secrets, { provider: 'generic', secretOrigin: 'ALERTS_SECRET', ...(verify === undefined ? {} : { verify }), ...extra });
// The ingress injects a CEL evaluator; the tests use a real one.
const evaluate = (expr: string, ctx: Record<string, unknown>): Json => celEvaluate(expr, ctx) as Json;

describe('generic preset: hmac', () => {
  const cases: Array<{ hmac: 'sha1' | 'sha256' | 'sha512'; encoding?: 'hex' | 'base64'; prefix?: string }> = [
    { hmac: 'sha256', encoding: 'hex', prefix: 'sha256=' },
    { hmac: 'sha256' },
    { hmac: 'sha1', encoding: 'base64' },
    { hmac: 'sha512', encoding: 'hex', prefix: 'v1=' },
  ];
  for (const c of cases) {
    const verify: GenericVerify = { ...c, header: 'X-Signature' };
    const mac = (secret: string, b: Buffer | string = body) =>
      (c.prefix ?? '') +
      createHmac(c.hmac, secret)
        .update(b)
        .digest(c.encoding ?? 'hex');
    const req = (value: string, b: Buffer | string = body) => request({ body: b, headers: { 'x-signature': value } });

    it(`${c.hmac}/${c.encoding ?? 'hex'}/${c.prefix ?? 'no prefix'}: valid, tampered, wrong secret, rotated, missing`, () => {
      generic.verify(req(mac(SECRET)), src(verify), NOW);
      assertIngressError(
        () => generic.verify(req(mac(SECRET), body.toString().replace('firing', 'resolved')), src(verify), NOW),
        401,
        'bad_signature',
        'X-Signature',
        'ALERTS_SECRET',
      );
      assertIngressError(() => generic.verify(req(mac('other')), src(verify), NOW), 401, 'bad_signature');
      generic.verify(req(mac('old')), src(verify, ['old', SECRET]), NOW);
      assertIngressError(() => generic.verify(request({ body }), src(verify), NOW), 401, 'missing_signature', 'X-Signature');
    });
  }

  it('refuses a signature without the configured prefix', () => {
    const verify: GenericVerify = { hmac: 'sha256', header: 'X-Signature', prefix: 'sha256=' };
    const bare = createHmac('sha256', SECRET).update(body).digest('hex');
    assertIngressError(() => generic.verify(request({ body, headers: { 'x-signature': bare } }), src(verify), NOW), 401, 'bad_signature');
  });
});

describe('generic preset: token, basic, none', () => {
  it('token in a header, also as Authorization: Bearer', () => {
    generic.verify(request({ body, headers: { 'X-Token': SECRET } }), src({ token: { header: 'X-Token' } }), NOW);
    generic.verify(request({ body, headers: { Authorization: `Bearer ${SECRET}` } }), src({ token: { header: 'Authorization' } }), NOW);
    assertIngressError(
      () => generic.verify(request({ body, headers: { 'X-Token': 'guess' } }), src({ token: { header: 'X-Token' } }), NOW),
      401,
      'bad_signature',
    );
    assertIngressError(() => generic.verify(request({ body }), src({ token: { header: 'X-Token' } }), NOW), 401, 'missing_signature', 'X-Token');
  });

  it('token in the query', () => {
    const verify: GenericVerify = { token: { query: 'key' } };
    generic.verify(request({ body, url: `https://h.example/hooks/alerts?key=${SECRET}` }), src(verify), NOW);
    assertIngressError(() => generic.verify(request({ body, url: 'https://h.example/hooks/alerts?key=nope' }), src(verify), NOW), 401, 'bad_signature');
    assertIngressError(
      () => generic.verify(request({ body, url: 'https://h.example/hooks/alerts' }), src(verify), NOW),
      401,
      'missing_signature',
      'query parameter key',
    );
  });

  it('HTTP Basic with the configured user and a secret as password', () => {
    const verify: GenericVerify = { basic: { username: 'hooks' } };
    const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    generic.verify(request({ body, headers: basic('hooks', SECRET) }), src(verify), NOW);
    generic.verify(request({ body, headers: basic('hooks', 'old') }), src(verify, ['old', SECRET]), NOW);
    assertIngressError(() => generic.verify(request({ body, headers: basic('admin', SECRET) }), src(verify), NOW), 401, 'bad_signature', 'hooks');
    assertIngressError(() => generic.verify(request({ body, headers: basic('hooks', 'x') }), src(verify), NOW), 401, 'bad_signature');
    assertIngressError(() => generic.verify(request({ body }), src(verify), NOW), 401, 'missing_signature', 'Authorization');
  });

  it('none accepts anything; a missing verify block and a missing secret are refused', () => {
    generic.verify(request({ body }), src('none', []), NOW);
    generic.verify(request({ body }), src({ none: true }, []), NOW);
    assertIngressError(() => generic.verify(request({ body }), src(undefined), NOW), 401, 'no_verify', 'verify: none', 'alerts');
    assertIngressError(
      () => generic.verify(request({ body, headers: { 'X-Token': 'x' } }), src({ token: { header: 'X-Token' } }, []), NOW),
      401,
      'no_secret',
      'ALERTS_SECRET',
    );
  });

  it('strips the configured credential header from stored events', () => {
    const headers = sensitiveHeadersFor(generic, src({ hmac: 'sha256', header: 'X-Signature' }));
    assert.ok(headers.includes('x-signature') && headers.includes('authorization'));
  });
});

describe('generic preset: describe with CEL', () => {
  it('reads the event type and id from the configured expressions', () => {
    const r = request({ body, headers: { 'X-Request-Id': 'req-77' } });
    const s = src('none', [], { event: 'body.alert.status', id: 'headers["x-request-id"]' });
    assert.deepEqual(generic.describe(r, bodyOf(r), s, evaluate), { type: 'firing', id: 'req-77' });
  });

  it('turns a number into text, and uses the query too', () => {
    const r = request({ body, url: 'https://h.example/hooks/alerts?kind=disk' });
    const s = src('none', [], { event: 'query.kind', id: 'body.seq' });
    assert.deepEqual(generic.describe(r, bodyOf(r), s, evaluate), { type: 'disk', id: '42' });
  });

  it('defaults to type "webhook" and the body hash as id', () => {
    const r = request({ body });
    assert.deepEqual(generic.describe(r, bodyOf(r), src('none', []), evaluate), { type: 'webhook', id: bodyHashId(body) });
  });

  it('falls back to the body hash when the id expression finds nothing', () => {
    const r = request({ body });
    const s = src('none', [], { id: 'headers["x-request-id"]' });
    assert.equal(generic.describe(r, bodyOf(r), s, evaluate).id, bodyHashId(body));
  });

  it('answers 400 naming the expression when the event type cannot be found', () => {
    const r = request({ body });
    assertIngressError(
      () => generic.describe(r, bodyOf(r), src('none', [], { event: 'body.alert.missing' }), evaluate),
      400,
      'no_event_type',
      'body.alert.missing',
      'alerts',
    );
    assertIngressError(() => generic.describe(r, bodyOf(r), src('none', [], { event: 'body.alert' }), evaluate), 400, 'no_event_type', 'non-empty string');
  });

  it('round-trips sign() → verify() for each verify kind', () => {
    const kinds: GenericVerify[] = [
      { hmac: 'sha512', header: 'X-Sig', encoding: 'base64', prefix: 'sha512=' },
      { token: { header: 'X-Token' } },
      { token: { query: 'key' } },
      { basic: { username: 'hooks' } },
    ];
    for (const verify of kinds) {
      const s = src(verify);
      const signed = generic.sign({ body, secret: SECRET, url: 'https://h.example/hooks/alerts', contentType: 'application/json', now: NOW, source: s });
      generic.verify(request({ body, headers: signed.headers, url: signed.url ?? 'https://h.example/hooks/alerts' }), s, NOW);
    }
  });
});
