// The outbound activities' shared rules: which HTTP statuses are worth another attempt, and how
// `query:`/`form:` values and the Standard Webhooks signature are written.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { isRetryableStatus } from '../../../src/activities/failures.js';
import { prepareHttpRequest, signStandardWebhook } from '../../../src/activities/http.js';

describe('isRetryableStatus', () => {
  for (const [status, retry] of [
    [408, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [599, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [410, false],
    [422, false],
    [499, false],
    [200, false],
    [302, false],
  ] as const) {
    test(`${status} → ${retry ? 'retry' : 'final'}`, () => assert.equal(isRetryableStatus(status), retry));
  }
});

test('query and form values: lists repeat the name, nulls send nothing, other values as templates write them', () => {
  const req = prepareHttpRequest(
    { url: 'https://api.example.com/x', query: { a: [1, null, 'x', true], b: null, c: { k: 1 }, d: 2.5 }, form: { f: [null, 'y'], g: false } },
    'key-1',
  );
  assert.equal(req.url.search, '?a=1&a=x&a=true&c=%7B%22k%22%3A1%7D&d=2.5');
  assert.equal(req.body?.toString('utf8'), 'f=y&g=false');
});

describe('signStandardWebhook', () => {
  const secret = `whsec_${Buffer.from('a key of thirty-two bytes, truly').toString('base64')}`;

  test('the reference library verifies what it signs', () => {
    const body = '{"type":"ping"}';
    const now = Math.floor(Date.now() / 1000);
    const signature = signStandardWebhook(secret, 'msg_1', now, Buffer.from(body));
    assert.match(signature, /^v1,[A-Za-z0-9+/]+=*$/);
    assert.deepEqual(new Webhook(secret).verify(body, { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now), 'webhook-signature': signature }), {
      type: 'ping',
    });
    assert.throws(
      () => new Webhook(secret).verify(body, { 'webhook-id': 'msg_2', 'webhook-timestamp': String(now), 'webhook-signature': signature }),
      'another id, another signature',
    );
  });

  test('a secret that gives no key is refused, naming what a secret looks like', () => {
    for (const bad of ['whsec_', 'whsec_not base64!', '']) {
      assert.throws(() => signStandardWebhook(bad, 'msg_1', 1, Buffer.alloc(0)), /whsec_/);
    }
  });
});
