import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { getProvider } from '../../../src/providers/index.js';
import { NOW, NOW_S, assertIngressError, bodyOf, fixture, noEvaluate, request, source } from './helpers.js';

const zoom = getProvider('zoom')!;
const SECRET = 'zm-secret-token-7a1c';
const src = (secrets = [SECRET]) => source('zoom', secrets);
const started = fixture('zoom/meeting.started.json');
const validation = fixture('zoom/endpoint.url_validation.json');

const sig = (secret: string, ts: number, body: Buffer | string) => 'v0=' + createHmac('sha256', secret).update(`v0:${ts}:`).update(body).digest('hex');
const req = (body: Buffer | string, ts = NOW_S, signature = sig(SECRET, ts, body)) =>
  request({ body, headers: { 'x-zm-request-timestamp': String(ts), 'x-zm-signature': signature } });

describe('zoom preset', () => {
  it('accepts an event and describes it by body.event', () => {
    const r = req(started);
    zoom.verify(r, src(), NOW);
    const d = zoom.describe(r, bodyOf(r), src(), noEvaluate);
    assert.equal(d.type, 'meeting.started');
    assert.match(d.id, /^[0-9a-f]{32}$/);
    assert.equal(zoom.handshake!(r, bodyOf(r), src()), undefined);
  });

  it('answers endpoint.url_validation with the token HMAC-SHA256 (hex) keyed by the secret', () => {
    const r = req(validation);
    zoom.verify(r, src(), NOW);
    const answer = zoom.handshake!(r, bodyOf(r), src());
    const expected = createHmac('sha256', SECRET).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex');
    assert.deepEqual(answer, {
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ plainToken: 'qgg8vlvZRS6UYooatFL8Aw', encryptedToken: expected }),
    });
  });

  it('answers the handshake with the rotated secret that signed it', () => {
    const r = req(validation, NOW_S, sig('old-zoom-secret', NOW_S, validation));
    zoom.verify(r, src([SECRET, 'old-zoom-secret']), NOW);
    const answer = JSON.parse(zoom.handshake!(r, bodyOf(r), src([SECRET, 'old-zoom-secret']))!.body) as { encryptedToken: string };
    assert.equal(answer.encryptedToken, createHmac('sha256', 'old-zoom-secret').update('qgg8vlvZRS6UYooatFL8Aw').digest('hex'));
  });

  it('refuses a tampered body, a wrong secret, stale and future timestamps', () => {
    assertIngressError(
      () => zoom.verify(req(started.toString().replace('standup', 'party'), NOW_S, sig(SECRET, NOW_S, started)), src(), NOW),
      401,
      'bad_signature',
      'x-zm-signature',
    );
    assertIngressError(() => zoom.verify(req(started, NOW_S, sig('nope', NOW_S, started)), src(), NOW), 401, 'bad_signature');
    assertIngressError(() => zoom.verify(req(started, NOW_S - 301), src(), NOW), 401, 'stale_timestamp', 'x-zm-request-timestamp', 'in the past');
    assertIngressError(() => zoom.verify(req(started, NOW_S + 301), src(), NOW), 401, 'stale_timestamp', 'in the future');
  });

  it('names the missing header and refuses without a secret', () => {
    assertIngressError(() => zoom.verify(request({ body: started }), src(), NOW), 401, 'missing_signature', 'x-zm-signature');
    assertIngressError(() => zoom.verify(req(started), src([]), NOW), 401, 'no_secret', 'ZOOM_WEBHOOK_SECRET');
  });
});
