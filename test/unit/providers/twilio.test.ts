import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import twilioLib from 'twilio';
import { getProvider } from '../../../src/providers/index.js';
import { twilioSignature } from '../../../src/providers/twilio.js';
import { NOW, assertIngressError, bodyOf, fixture, noEvaluate, pick, request, source } from './helpers.js';

const twilio = getProvider('twilio')!;
const FORM = 'application/x-www-form-urlencoded';
const TOKEN = '9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const URL_ = 'https://hooks.example.com/hooks/twilio?tenant=acme';
const sms = fixture('twilio/inbound-sms.form');
const src = (secrets = [TOKEN]) => source('twilio', secrets);

// The worked example every Twilio helper library tests against (auth token "12345").
const LIB = {
  token: '12345',
  url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
  body: 'CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212',
  signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
  jsonBody: '{"property": "value", "boolean": true}',
  bodyHash: '0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620',
  jsonSignature: 'a9nBmqA0ju/hNViExpshrM61xv4=',
};

function formReq(body: Buffer | string, signature: string, url = URL_) {
  return request({ body, url, headers: { 'Content-Type': FORM, 'X-Twilio-Signature': signature } });
}
function libSign(token: string, url: string, body: Buffer | string): string {
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body.toString())) params[k] = v;
  return twilioLib.getExpectedTwilioSignature(token, url, params);
}

describe('twilio preset', () => {
  it("accepts the helper libraries' form vector", () => {
    twilio.verify(formReq(LIB.body, LIB.signature, LIB.url), src([LIB.token]), NOW);
  });

  it("accepts the helper libraries' JSON vector (bodySHA256 in the URL)", () => {
    const r = request({
      body: LIB.jsonBody,
      url: `${LIB.url}&bodySHA256=${LIB.bodyHash}`,
      headers: { 'Content-Type': 'application/json', 'X-Twilio-Signature': LIB.jsonSignature },
    });
    twilio.verify(r, src([LIB.token]), NOW);
  });

  it('accepts the vectors signed with the default port, and with a duplicated parameter', () => {
    // From twilio-php's RequestValidatorTest: the URL signed with :443 added, and Digits sent three times.
    twilio.verify(formReq(LIB.body, 'kvajT1Ptam85bY51eRf/AJRuM3w=', LIB.url), src([LIB.token]), NOW);
    twilio.verify(formReq(LIB.body, LIB.signature, LIB.url.replace('.com', '.com:443')), src([LIB.token]), NOW);
    const dup = 'Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234';
    twilio.verify(formReq(dup, 'IK+Dwps556ElfBT0I3Rgjkr1wJU=', LIB.url), src([LIB.token]), NOW);
  });

  it('describes an inbound SMS and a status callback', () => {
    const r = formReq(sms, libSign(TOKEN, URL_, sms));
    twilio.verify(r, src(), NOW);
    assert.deepEqual(twilio.describe(r, bodyOf(r), src(), noEvaluate), { type: 'message.received', id: 'SM1f0e8ae6ade43cb3c0ce4525424e404f:received' });
    const status = fixture('twilio/status-delivered.form');
    const s = formReq(status, libSign(TOKEN, URL_, status));
    twilio.verify(s, src(), NOW);
    assert.deepEqual(twilio.describe(s, bodyOf(s), src(), noEvaluate), { type: 'message.delivered', id: 'SM1f0e8ae6ade43cb3c0ce4525424e404f:delivered' });
  });

  it('describes a voice status callback', () => {
    const body = 'CallSid=CA0f8e0c7a6b5d4e3f2a1b0c9d8e7f6a5b&CallStatus=completed&From=%2B14155551234&To=%2B15005550006&Direction=inbound';
    const r = formReq(body, libSign(TOKEN, URL_, body));
    twilio.verify(r, src(), NOW);
    assert.deepEqual(twilio.describe(r, bodyOf(r), src(), noEvaluate), { type: 'call.completed', id: 'CA0f8e0c7a6b5d4e3f2a1b0c9d8e7f6a5b:completed' });
  });

  it("agrees with twilio's validateRequest / validateRequestWithBody on its own signatures", () => {
    const { headers } = twilio.sign({ body: sms, secret: TOKEN, url: URL_, contentType: FORM, now: NOW });
    const params: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(sms.toString())) params[k] = v;
    assert.equal(twilioLib.validateRequest(TOKEN, pick(headers, 'x-twilio-signature'), URL_, params), true);

    const json = Buffer.from('{"MessageSid":"SM1","SmsStatus":"received"}');
    const signed = twilio.sign({ body: json, secret: TOKEN, url: URL_, contentType: 'application/json', now: NOW });
    assert.ok(signed.url?.includes('bodySHA256='));
    assert.equal(twilioLib.validateRequestWithBody(TOKEN, pick(signed.headers, 'x-twilio-signature'), signed.url!, json.toString()), true);
    twilio.verify(request({ body: json, url: signed.url!, headers: signed.headers }), src(), NOW);
  });

  it('refuses a tampered form, a different URL and a wrong token', () => {
    const good = libSign(TOKEN, URL_, sms);
    assertIngressError(
      () => twilio.verify(formReq(sms.toString().replace('Hello', 'Goodbye'), good), src(), NOW),
      401,
      'bad_signature',
      'X-Twilio-Signature',
      'TWILIO_WEBHOOK_SECRET',
    );
    assertIngressError(() => twilio.verify(formReq(sms, good, URL_.replace('acme', 'evil')), src(), NOW), 401, 'bad_signature');
    assertIngressError(() => twilio.verify(formReq(sms, libSign('other', URL_, sms)), src(), NOW), 401, 'bad_signature');
  });

  it('refuses a JSON body that does not hash to the signed bodySHA256, or has none', () => {
    const json = Buffer.from('{"MessageSid":"SM1"}');
    const signed = twilio.sign({ body: json, secret: TOKEN, url: URL_, contentType: 'application/json', now: NOW });
    assertIngressError(
      () => twilio.verify(request({ body: '{"MessageSid":"SM2"}', url: signed.url!, headers: signed.headers }), src(), NOW),
      401,
      'bad_signature',
      'bodySHA256',
    );
    assertIngressError(
      () => twilio.verify(request({ body: json, url: URL_, headers: signed.headers }), src(), NOW),
      401,
      'bad_signature',
      'bodySHA256',
      'PUBLIC_URL',
    );
  });

  it('accepts either token while rotating, names the missing header, refuses without a token', () => {
    twilio.verify(formReq(sms, libSign('old-token', URL_, sms)), src(['old-token', TOKEN]), NOW);
    assertIngressError(
      () => twilio.verify(request({ body: sms, url: URL_, headers: { 'Content-Type': FORM } }), src(), NOW),
      401,
      'missing_signature',
      'X-Twilio-Signature',
    );
    assertIngressError(() => twilio.verify(formReq(sms, libSign(TOKEN, URL_, sms)), src([]), NOW), 401, 'no_secret', 'TWILIO_WEBHOOK_SECRET');
  });

  it('computes the documented signature itself', () => {
    const params: Record<string, string[]> = {};
    for (const [k, v] of new URLSearchParams(LIB.body)) (params[k] ??= []).push(v);
    assert.equal(twilioSignature(LIB.token, LIB.url, params).toString('base64'), LIB.signature);
  });
});

describe('twilio preset: what is verified is what is parsed', () => {
  const status = fixture('twilio/status-delivered.form').toString('utf8');
  const signedFor = (params: Record<string, string | string[]>) => twilioLib.getExpectedTwilioSignature(TOKEN, URL_, params);
  const paramsOf = (body: string) => {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(body)) out[k] = Object.hasOwn(out, k) ? [out[k] as string, v].flat() : v;
    return out;
  };
  const good = signedFor(paramsOf(status));

  // Each body splits the signed bytes differently: twilio's own library gives it the original
  // signature, so only the shape of the values can tell it from the delivery Twilio sent.
  const shifted: Array<[string, string, RegExp]> = [
    [
      'both statuses renamed (MessageStatusd=elivered): it would read as a new incoming message',
      status.replace('SmsStatus=delivered', 'SmsStatusd=elivered').replace('MessageStatus=delivered', 'MessageStatusd=elivered'),
      /SmsStatus or MessageStatus/,
    ],
    [
      'MessageStatus folded into the MessageSid value: a new delivery id',
      status.replace('&MessageStatus=delivered', '').replace(/MessageSid=(SM[0-9a-f]+)/, 'MessageSid=$1MessageStatusdelivered'),
      /not a Twilio SID/,
    ],
  ];
  for (const [name, body, why] of shifted) {
    it(`a boundary shift keeps the signature but cannot rename the delivery: ${name}`, () => {
      assert.equal(signedFor(paramsOf(body)), good, "the same signature, by twilio's own library");
      const r = formReq(body, good);
      twilio.verify(r, src(), NOW);
      const err = assertIngressError(
        () => twilio.describe(r, bodyOf(r), src(), noEvaluate),
        400,
        why.source.includes('SID') ? 'invalid_twilio_delivery' : 'no_event_type',
      );
      assert.match(err.message, why);
    });
  }

  it('a status repeated (its copies collapse in the signature) cannot name the delivery', () => {
    const body = `${status}&MessageStatus=delivered&SmsStatus=delivered`;
    const r = formReq(body, signedFor(paramsOf(body)));
    assert.equal(signedFor(paramsOf(body)), good, 'twilio dedupes repeated values');
    twilio.verify(r, src(), NOW);
    assertIngressError(() => twilio.describe(r, bodyOf(r), src(), noEvaluate), 400, 'invalid_twilio_delivery', 'MessageStatus is sent 2 times');
  });

  it('the declared charset is the one verified: Latin-1 signed as é passes, bytes that only UTF-8 would blur fail', () => {
    const latin1 = `${status}&Body=caf%E9`;
    const headers = { 'Content-Type': `${FORM}; charset=iso-8859-1` };
    const ok = request({ body: latin1, url: URL_, headers: { ...headers, 'X-Twilio-Signature': signedFor({ ...paramsOf(status), Body: 'café' }) } });
    twilio.verify(ok, src(), NOW);
    assert.equal((bodyOf(ok) as { Body: string }).Body, 'café');
    // A signature over U+FFFD (what a UTF-8 reading of any lone high byte gives) must not cover %E8 read as Latin-1.
    const blurred = request({
      body: `${status}&Body=caf%E8`,
      url: URL_,
      headers: { ...headers, 'X-Twilio-Signature': signedFor({ ...paramsOf(status), Body: 'caf\ufffd' }) },
    });
    assertIngressError(() => twilio.verify(blurred, src(), NOW), 401, 'bad_signature');
  });

  it('real deliveries still describe as before', () => {
    const r = formReq(status, good);
    twilio.verify(r, src(), NOW);
    assert.deepEqual(twilio.describe(r, bodyOf(r), src(), noEvaluate), { type: 'message.delivered', id: 'SM1f0e8ae6ade43cb3c0ce4525424e404f:delivered' });
  });
});
