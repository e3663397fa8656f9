import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { getProvider } from '../../../src/providers/index.js';
import { NOW, NOW_S, assertIngressError, bodyOf, fixture, noEvaluate, pick, request, source } from './helpers.js';

const slack = getProvider('slack')!;
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const src = (secrets = [SECRET]) => source('slack', secrets);
const FORM = 'application/x-www-form-urlencoded';

// Slack's own worked example ("Verifying requests from Slack").
const DOCS = {
  timestamp: 1531420618,
  body:
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
    '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
    '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};

function sig(secret: string, ts: number, body: Buffer | string): string {
  return 'v0=' + createHmac('sha256', secret).update(`v0:${ts}:`).update(body).digest('hex');
}
function req(body: Buffer | string, ts = NOW_S, signature = sig(SECRET, ts, body), contentType = 'application/json') {
  return request({ body, headers: { 'Content-Type': contentType, 'X-Slack-Request-Timestamp': String(ts), 'X-Slack-Signature': signature } });
}

describe('slack preset', () => {
  it("accepts Slack's documented example and reads it as a slash command", () => {
    const r = req(DOCS.body, DOCS.timestamp, DOCS.signature, FORM);
    slack.verify(r, src(), new Date(DOCS.timestamp * 1000));
    assert.deepEqual(slack.describe(r, bodyOf(r), src(), noEvaluate), {
      type: '/webhook-collect',
      id: '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
    });
  });

  it('describes an Events API callback by event.type and event_id', () => {
    const body = fixture('slack/event_callback-message.json');
    const r = req(body);
    slack.verify(r, src(), NOW);
    assert.deepEqual(slack.describe(r, bodyOf(r), src(), noEvaluate), { type: 'message', id: 'Ev0PV52K21' });
    assert.equal(slack.handshake!(r, bodyOf(r), src()), undefined);
  });

  it('describes a slash command from the fixture', () => {
    const r = req(fixture('slack/slash-command.form'), NOW_S, undefined, FORM);
    slack.verify(r, src(), NOW);
    assert.deepEqual(slack.describe(r, bodyOf(r), src(), noEvaluate), { type: '/weather', id: '13345224609.738474920.8088930838d88f008e0' });
  });

  it('describes interactivity by payload.type and trigger_id', () => {
    const payload = JSON.stringify({ type: 'block_actions', trigger_id: '1337.42.abcd', user: { id: 'U1' }, actions: [{ action_id: 'approve' }] });
    const body = `payload=${encodeURIComponent(payload)}`;
    const r = req(body, NOW_S, undefined, FORM);
    slack.verify(r, src(), NOW);
    assert.deepEqual(slack.describe(r, bodyOf(r), src(), noEvaluate), { type: 'block_actions', id: '1337.42.abcd' });
  });

  it('answers url_verification with the challenge', () => {
    const body = fixture('slack/url_verification.json');
    const r = req(body);
    slack.verify(r, src(), NOW);
    const answer = slack.handshake!(r, bodyOf(r), src());
    assert.deepEqual(answer, {
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' }),
    });
  });

  it('refuses a tampered body, a wrong secret and a changed timestamp', () => {
    const body = fixture('slack/event_callback-message.json');
    assertIngressError(
      () => slack.verify(req(body.toString().replace('prospect', 'perish'), NOW_S, sig(SECRET, NOW_S, body)), src(), NOW),
      401,
      'bad_signature',
      'X-Slack-Signature',
      'SLACK_WEBHOOK_SECRET',
    );
    assertIngressError(() => slack.verify(req(body, NOW_S, sig('other', NOW_S, body)), src(), NOW), 401, 'bad_signature');
    assertIngressError(() => slack.verify(req(body, NOW_S + 1, sig(SECRET, NOW_S, body)), src(), NOW), 401, 'bad_signature');
  });

  for (const [name, ts] of [
    ['stale', NOW_S - 301],
    ['future', NOW_S + 301],
  ] as const) {
    it(`refuses a ${name} timestamp, naming the header and the skew`, () => {
      const body = fixture('slack/event_callback-message.json');
      assertIngressError(() => slack.verify(req(body, ts), src(), NOW), 401, 'stale_timestamp', 'X-Slack-Request-Timestamp', '300 s');
    });
  }

  it('accepts either secret while rotating', () => {
    const body = fixture('slack/event_callback-message.json');
    slack.verify(req(body, NOW_S, sig('previous', NOW_S, body)), src(['previous', SECRET]), NOW);
    slack.verify(req(body, NOW_S), src(['previous', SECRET]), NOW);
  });

  it('names the missing headers', () => {
    const body = fixture('slack/event_callback-message.json');
    assertIngressError(() => slack.verify(request({ body }), src(), NOW), 401, 'missing_signature', 'X-Slack-Signature');
    assertIngressError(
      () => slack.verify(request({ body, headers: { 'X-Slack-Signature': sig(SECRET, NOW_S, body) } }), src(), NOW),
      401,
      'missing_signature',
      'X-Slack-Request-Timestamp',
    );
  });

  it('round-trips sign() → verify()', () => {
    const body = fixture('slack/event_callback-message.json');
    const { headers } = slack.sign({ body, secret: SECRET, url: '', contentType: 'application/json', now: NOW });
    assert.equal(pick(headers, 'x-slack-request-timestamp'), String(NOW_S));
    slack.verify(request({ body, headers }), src(), NOW);
  });
});
