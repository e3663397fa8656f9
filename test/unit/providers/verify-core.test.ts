import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTimestamp, decodeSignature, matchAny, safeEqual, secretsOf, signatureHeader } from '../../../src/providers/verify-core.js';
import { NOW, NOW_S, assertIngressError, request, source } from './helpers.js';

describe('verify-core', () => {
  it('safeEqual compares bytes, including unequal lengths', () => {
    const table: Array<[string, string, boolean]> = [
      ['abc', 'abc', true],
      ['abc', 'abd', false],
      ['abc', 'abcd', false],
      ['', '', true],
    ];
    for (const [a, b, want] of table) assert.equal(safeEqual(Buffer.from(a), Buffer.from(b)), want, `${a} vs ${b}`);
  });

  it('decodeSignature accepts hex/base64 and rejects anything else', () => {
    const table: Array<[string, 'hex' | 'base64', string | undefined]> = [
      ['0aFF', 'hex', '0aff'],
      ['0aF', 'hex', undefined],
      ['zz', 'hex', undefined],
      ['', 'hex', undefined],
      ['AP8=', 'base64', '00ff'],
      ['AP8', 'base64', '00ff'],
      ['A P8=', 'base64', undefined],
      ['!!', 'base64', undefined],
    ];
    for (const [text, enc, want] of table) assert.equal(decodeSignature(text, enc)?.toString('hex'), want, `${text} as ${enc}`);
  });

  it('checkTimestamp accepts ±tolerance and refuses past it, both ways', () => {
    const table: Array<[number, string | undefined]> = [
      [NOW_S, undefined],
      [NOW_S - 300, undefined],
      [NOW_S + 300, undefined],
      [NOW_S - 301, 'in the past'],
      [NOW_S + 301, 'in the future'],
      [0, 'in the past'],
    ];
    for (const [ts, problem] of table) {
      if (problem === undefined) assert.equal(checkTimestamp(String(ts), 'X-Ts', NOW), ts);
      else assertIngressError(() => checkTimestamp(String(ts), 'X-Ts', NOW), 401, 'stale_timestamp', 'X-Ts', problem, '300 s');
    }
    for (const bad of ['', 'abc', '1.5', '-1', '1e9']) assertIngressError(() => checkTimestamp(bad, 'X-Ts', NOW), 401, 'bad_timestamp', 'X-Ts');
  });

  it('matchAny tries every secret against every signature', () => {
    const sig = (s: string) => Buffer.from(`mac:${s}`);
    assert.equal(matchAny(['a', 'b'], [sig('b')], sig), true);
    assert.equal(matchAny(['a', 'b'], [sig('x'), sig('a')], sig), true);
    assert.equal(matchAny(['a', 'b'], [sig('c')], sig), false);
    assert.equal(matchAny([], [sig('a')], sig), false);
  });

  it('signatureHeader finds the first present name, refuses conflicting copies, names missing ones', () => {
    assert.deepEqual(signatureHeader(request({ body: '', headers: { 'b-sig': 'x' } }), ['A-Sig', 'B-Sig'], 'P'), { name: 'B-Sig', value: 'x' });
    assertIngressError(() => signatureHeader(request({ body: '', headers: { 'a-sig': ['x', 'y'] } }), ['A-Sig'], 'P'), 401, 'duplicate_header', 'A-Sig');
    assertIngressError(() => signatureHeader(request({ body: '', headers: { 'a-sig': 'x, y' } }), ['A-Sig'], 'P', { noComma: true }), 401, 'duplicate_header');
    assertIngressError(
      () => signatureHeader(request({ body: '', headers: { 'a-sig': '' } }), ['A-Sig', 'B-Sig'], 'P'),
      401,
      'missing_signature',
      'A-Sig or B-Sig',
    );
  });

  it('secretsOf refuses an empty secret list, naming where the secret comes from', () => {
    assert.deepEqual(secretsOf(source('github', ['a', '', 'b']), 'GitHub'), ['a', 'b']);
    assertIngressError(() => secretsOf(source('github', ['']), 'GitHub'), 401, 'no_secret', 'GITHUB_WEBHOOK_SECRET', 'github');
    assertIngressError(() => secretsOf(source('shop-eu', [], { secretOrigin: 'sources.yaml:3' }), 'Shopify'), 401, 'no_secret', 'sources.yaml:3');
  });
});
