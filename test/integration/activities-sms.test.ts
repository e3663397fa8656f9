// The sms activity (the real twilio library) against a Twilio-compatible server on loopback.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { rebaseTwilioUri } from '../../src/activities/sms.js';
import type { OutboundInput, SmsParams } from '../../src/core/types.js';
import * as twilioServer from '../helpers/twilio-server.js';
import { failureOf, retryable, run } from '../helpers/activity.js';

function activityEnv(): MockActivityEnvironment {
  return new MockActivityEnvironment({ startToCloseTimeoutMs: 10_000 }, { logger: new DefaultLogger('ERROR') });
}

function input(params: SmsParams): OutboundInput<SmsParams> {
  return { workflowId: 'notify/sendbird/m-1', stepPath: 'steps[0].steps[1].else[0]', params, secretFields: [] };
}

describe('rebaseTwilioUri', () => {
  const cases: Array<[string, string, string]> = [
    ['https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json', 'http://127.0.0.1:4010', 'http://127.0.0.1:4010/2010-04-01/Accounts/AC1/Messages.json'],
    [
      'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=5',
      'https://proxy.example/twilio/',
      'https://proxy.example/twilio/2010-04-01/Accounts/AC1/Messages.json?PageSize=5',
    ],
    ['https://api.sydney.au1.twilio.com/2010-04-01/x', 'http://10.0.0.1:8080', 'http://10.0.0.1:8080/2010-04-01/x'],
  ];
  for (const [uri, base, expected] of cases) {
    test(`${uri} on ${base}`, () => assert.equal(rebaseTwilioUri(uri, base), expected));
  }
});

describe('sms activity', () => {
  const creds = twilioServer.testCredentials();
  let tw: twilioServer.TwilioServer;
  let env: Record<string, string>;

  before(async () => {
    tw = await twilioServer.start({
      ...creds,
      badNumbers: {
        '+15005550001': { code: 21211 },
        '+15005550009': { code: 21614 },
        '+15005550004': { code: 21610 },
      },
    });
    env = {
      TWILIO_ACCOUNT_SID: creds.accountSid,
      TWILIO_AUTH_TOKEN: creds.authToken,
      TWILIO_FROM: '+15005550006',
      TWILIO_API_BASE_URL: tw.url,
    };
  });
  after(async () => {
    await tw.close();
  });

  test('sends with TWILIO_FROM; the server saw Basic auth, To, From and Body', async () => {
    const result = await run(activityEnv(), createActivities({ env }).sms, input({ to: '+14155550100', body: 'Ada: are you there?' }));
    const msg = tw.messages.at(-1);
    assert.ok(msg);
    assert.equal(result.sid, msg.sid);
    assert.match(result.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(result.status, 'queued');
    assert.equal(msg.accountSid, creds.accountSid);
    assert.equal(msg.to, '+14155550100');
    assert.equal(msg.from, '+15005550006');
    assert.equal(msg.body, 'Ada: are you there?');
    assert.equal(msg.messagingServiceSid, undefined);
    assert.equal(tw.requests.at(-1)?.authorized, true);
  });

  test('messaging_service_sid is sent instead of From', async () => {
    const result = await run(
      activityEnv(),
      createActivities({ env: { ...env, TWILIO_FROM: '' } }).sms,
      input({ to: '+14155550101', body: 'hi', messaging_service_sid: 'MG0123456789abcdef0123456789abcdef' }),
    );
    const msg = tw.messages.at(-1);
    assert.equal(result.status, 'accepted');
    assert.equal(msg?.messagingServiceSid, 'MG0123456789abcdef0123456789abcdef');
    assert.equal(msg?.from, undefined);
    assert.equal(msg?.params['From'], undefined);
  });

  test('invalid, non-mobile and unsubscribed numbers are non-retryable SmsRejected with the Twilio code', async () => {
    for (const [to, code] of [
      ['+15005550001', 21211],
      ['+15005550009', 21614],
      ['+15005550004', 21610],
    ] as const) {
      const failure = await failureOf(run(activityEnv(), createActivities({ env }).sms, input({ to, body: 'x' })));
      assert.equal(failure.type, 'SmsRejected', to);
      assert.equal(failure.nonRetryable, true);
      assert.match(failure.message, new RegExp(`error ${code}`));
      assert.match(failure.message, new RegExp(to.replace('+', '\\+')));
    }
  });

  test('a malformed number is rejected by the server (21211), not retried', async () => {
    const failure = await failureOf(run(activityEnv(), createActivities({ env }).sms, input({ to: '555-0100', body: 'x' })));
    assert.equal(failure.type, 'SmsRejected');
    assert.match(failure.message, /21211/);
  });

  test('a wrong auth token is 20003: non-retryable, naming the env vars, never showing the token', async () => {
    const wrong = 'f'.repeat(32);
    const failure = await failureOf(
      run(activityEnv(), createActivities({ env: { ...env, TWILIO_AUTH_TOKEN: wrong } }).sms, input({ to: '+14155550100', body: 'x' })),
    );
    assert.equal(failure.type, 'SmsRejected');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /20003/);
    assert.match(failure.message, /TWILIO_AUTH_TOKEN/);
    assert.ok(!failure.message.includes(wrong));
    assert.equal(tw.requests.at(-1)?.authorized, false);
  });

  test('429 and 5xx from Twilio are retryable', async () => {
    tw.failNext([
      { code: 20429, status: 429, message: 'Too Many Requests' },
      { code: 20500, status: 503, message: 'Service Unavailable' },
    ]);
    for (const status of [429, 503]) {
      const failure = await failureOf(run(activityEnv(), createActivities({ env }).sms, input({ to: '+14155550100', body: 'x' })));
      assert.equal(failure.type, 'SmsTemporaryFailure');
      assert.equal(retryable(failure), true);
      assert.match(failure.message, new RegExp(`answered ${status}`));
    }
  });

  test('Twilio unreachable is retryable', async () => {
    const gone = await twilioServer.start(creds);
    await gone.close();
    const failure = await failureOf(
      run(activityEnv(), createActivities({ env: { ...env, TWILIO_API_BASE_URL: gone.url } }).sms, input({ to: '+14155550100', body: 'x' })),
    );
    assert.equal(failure.type, 'SmsTemporaryFailure');
    assert.match(failure.message, /ECONNREFUSED/);
  });

  test('missing credentials or sender are ConfigurationErrors naming the variables', async () => {
    const noCreds = await failureOf(
      run(activityEnv(), createActivities({ env: { TWILIO_FROM: '+15005550006' } }).sms, input({ to: '+14155550100', body: 'x' })),
    );
    assert.equal(noCreds.type, 'ConfigurationError');
    assert.match(noCreds.message, /TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN/);
    const noFrom = await failureOf(run(activityEnv(), createActivities({ env: { ...env, TWILIO_FROM: '' } }).sms, input({ to: '+14155550100', body: 'x' })));
    assert.equal(noFrom.type, 'ConfigurationError');
    assert.match(noFrom.message, /TWILIO_FROM/);
  });
});
