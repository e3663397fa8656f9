import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { metaChallenge } from '../../../src/providers/index.js';
import { assertIngressError, request, source } from './helpers.js';

const url = (q: string) => `https://hooks.example.com/hooks/whatsapp?${q}`;
const get = (q: string) => request({ body: '', method: 'GET', url: url(q) });
const src = (secrets = ['verify-me'], extra = {}) => source('whatsapp', secrets, { provider: 'generic', secretOrigin: 'WHATSAPP_WEBHOOK_SECRET', ...extra });

describe('metaChallenge (GET ?hub.challenge=)', () => {
  it('answers the challenge as text when the verify token equals a secret', () => {
    assert.deepEqual(metaChallenge(get('hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me'), src()), {
      status: 200,
      contentType: 'text/plain; charset=utf-8',
      body: '1158201444',
    });
    assert.equal(metaChallenge(get('hub.mode=subscribe&hub.challenge=9&hub.verify_token=old'), src(['old', 'verify-me']))?.body, '9');
  });

  it('refuses a wrong or missing token with 401, naming the variable', () => {
    assertIngressError(
      () => metaChallenge(get('hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess'), src()),
      401,
      'bad_verify_token',
      'WHATSAPP_WEBHOOK_SECRET',
    );
    assertIngressError(() => metaChallenge(get('hub.mode=subscribe&hub.challenge=1'), src()), 401, 'bad_verify_token');
    assertIngressError(() => metaChallenge(get('hub.mode=subscribe&hub.challenge=1&hub.verify_token=x'), src([])), 401, 'no_secret', 'WHATSAPP_WEBHOOK_SECRET');
  });

  it('is not a handshake without hub.challenge, with another mode, or on POST', () => {
    assert.equal(metaChallenge(get('foo=bar'), src()), undefined);
    assert.equal(metaChallenge(get('hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=verify-me'), src()), undefined);
    assert.equal(metaChallenge(request({ body: '{}', url: url('hub.mode=subscribe&hub.challenge=1&hub.verify_token=verify-me') }), src()), undefined);
  });

  it('answers any challenge on a source with verify: none', () => {
    assert.equal(metaChallenge(get('hub.mode=subscribe&hub.challenge=abc'), src([], { verify: 'none' }))?.body, 'abc');
  });
});
