// The push activity: Web Push against an endpoint that verifies VAPID and decrypts the payload,
// and FCM HTTP v1 against a double that verifies the service-account JWT and the bearer token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import webpush from 'web-push';
import { createActivities } from '../../src/activities/index.js';
import { parseTtlSeconds } from '../../src/activities/push.js';
import type { Json, OutboundInput, PushParams } from '../../src/core/types.js';
import * as fcmServer from '../helpers/fcm-server.js';
import * as pushServer from '../helpers/push-server.js';
import { failureOf, retryable, run } from '../helpers/activity.js';

function activityEnv(attempt = 1): MockActivityEnvironment {
  return new MockActivityEnvironment({ attempt, startToCloseTimeoutMs: 10_000 }, { logger: new DefaultLogger('ERROR') });
}

function input(params: PushParams, stepPath = 'steps[0]'): OutboundInput<PushParams> {
  return { workflowId: 'notify/sendbird/m-7', stepPath, params, secretFields: [] };
}

describe('parseTtlSeconds', () => {
  const cases: Array<[number | string | undefined, number | undefined]> = [
    [undefined, undefined],
    [60, 60],
    [0, 0],
    ['3600', 3600],
    ['90s', 90],
    ['30m', 1800],
    ['12h', 43200],
    ['2d', 172800],
    ['1500ms', 1],
    ['1h30m', 5400],
    ['1.5h', 5400],
    [' 600 ', 600],
  ];
  for (const [ttl, expected] of cases) test(`${JSON.stringify(ttl)} → ${expected}`, () => assert.equal(parseTtlSeconds(ttl), expected));
  test('nonsense is InvalidParams', () => {
    for (const bad of ['soon', '-5', '1w', -1, '5 m', '']) {
      assert.throws(
        () => parseTtlSeconds(bad),
        (e: unknown) => e instanceof ApplicationFailure && e.type === 'InvalidParams',
        String(bad),
      );
    }
  });
});

describe('push activity: webpush', () => {
  let push: pushServer.PushServer;
  const vapid = webpush.generateVAPIDKeys();
  const env = {
    HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1',
    VAPID_PUBLIC_KEY: vapid.publicKey,
    VAPID_PRIVATE_KEY: vapid.privateKey,
    VAPID_SUBJECT: 'mailto:ops@hookflow.example',
  };

  before(async () => {
    push = await pushServer.start();
  });
  after(async () => {
    await push.close();
  });

  test('delivers: the decrypted payload equals what was sent; VAPID verified; TTL and Topic set', async () => {
    const subscription = push.createSubscription({ vapidPublicKey: vapid.publicKey });
    const data: Json = { channel: 'c-1', unread: 3, tags: ['a', 'ü'] };
    const result = await run(
      activityEnv(),
      createActivities({ env }).push,
      input({ provider: 'webpush', to: subscription, title: 'Ada', body: 'Are you there? 👋', data, ttl: '1h' }),
    );
    assert.equal(push.refusals.length, 0, JSON.stringify(push.refusals));
    const msg = push.messages.at(-1);
    assert.ok(msg);
    assert.deepEqual(msg.json, { title: 'Ada', body: 'Are you there? 👋', data });
    assert.equal(msg.ttl, '3600');
    assert.equal(msg.vapid.sub, 'mailto:ops@hookflow.example');
    assert.equal(msg.vapid.publicKey, vapid.publicKey);
    assert.match(msg.topic ?? '', /^[A-Za-z0-9_-]{32}$/);
    assert.equal(result.status, 201);
    assert.match(result.id, new RegExp(`^${push.url}/messages/`));
  });

  test('`to` as a JSON string works; a retry carries the same Topic', async () => {
    const subscription = push.createSubscription();
    const params: PushParams = { provider: 'webpush', to: JSON.stringify(subscription), body: 'only a body' };
    await run(activityEnv(1), createActivities({ env }).push, input(params, 'steps[4]'));
    await run(activityEnv(2), createActivities({ env }).push, input(params, 'steps[4]'));
    const [a, b] = push.messages.slice(-2);
    assert.deepEqual(a?.json, { body: 'only a body' });
    assert.equal(a?.topic, b?.topic);
  });

  test('a gone subscription (410) fails with SubscriptionGone, not retried', async () => {
    const subscription = push.createSubscription();
    push.markGone(subscription);
    const failure = await failureOf(run(activityEnv(), createActivities({ env }).push, input({ provider: 'webpush', to: subscription, title: 'x' })));
    assert.equal(failure.type, 'SubscriptionGone');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /410/);
    assert.match(failure.message, /remove it/);
  });

  test('a subscription bound to another VAPID key is PushRejected (403)', async () => {
    const other = webpush.generateVAPIDKeys();
    const subscription = push.createSubscription({ vapidPublicKey: other.publicKey });
    const failure = await failureOf(run(activityEnv(), createActivities({ env }).push, input({ provider: 'webpush', to: subscription, title: 'x' })));
    assert.equal(failure.type, 'PushRejected');
    assert.match(failure.message, /403/);
  });

  test('503 with Retry-After is retryable with that delay', async () => {
    const subscription = push.createSubscription();
    push.failNext([{ status: 503, headers: { 'Retry-After': '12' } }]);
    const failure = await failureOf(run(activityEnv(), createActivities({ env }).push, input({ provider: 'webpush', to: subscription, title: 'x' })));
    assert.equal(failure.type, 'PushTemporaryFailure');
    assert.equal(retryable(failure), true);
    assert.equal(failure.nextRetryDelay, 12_000);
  });

  test('the double refuses a payload encrypted for another subscription and a JWT for another origin', async () => {
    const target = push.createSubscription();
    const other = push.createSubscription();
    const vapidDetails = { subject: 'mailto:ops@hookflow.example', publicKey: vapid.publicKey, privateKey: vapid.privateKey };
    const wrongKeys = webpush.generateRequestDetails({ endpoint: target.endpoint, keys: other.keys }, 'secret', { vapidDetails, contentEncoding: 'aes128gcm' });
    const res1 = await fetch(target.endpoint, { method: 'POST', headers: wrongKeys.headers as Record<string, string>, body: wrongKeys.body });
    assert.equal(res1.status, 400);
    assert.match(push.refusals.at(-1)?.reason ?? '', /does not decrypt/);

    const details = webpush.generateRequestDetails(target, 'secret', { vapidDetails, contentEncoding: 'aes128gcm' });
    const elsewhere = webpush.generateRequestDetails({ ...target, endpoint: 'https://push.example.net/x' }, 'secret', {
      vapidDetails,
      contentEncoding: 'aes128gcm',
    });
    const headers = { ...(details.headers as Record<string, string>), Authorization: (elsewhere.headers as Record<string, string>)['Authorization'] as string };
    const res2 = await fetch(target.endpoint, { method: 'POST', headers, body: details.body });
    assert.equal(res2.status, 401);
    assert.match(push.refusals.at(-1)?.reason ?? '', /aud is https:\/\/push\.example\.net/);
  });

  test('a malformed subscription is InvalidParams; missing VAPID keys a ConfigurationError', async () => {
    const bad = await failureOf(run(activityEnv(), createActivities({ env }).push, input({ provider: 'webpush', to: { endpoint: 'https://x' }, title: 'x' })));
    assert.equal(bad.type, 'InvalidParams');
    assert.match(bad.message, /p256dh/);
    const subscription = push.createSubscription();
    const noKeys = await failureOf(
      run(activityEnv(), createActivities({ env: { HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1' } }).push, input({ provider: 'webpush', to: subscription })),
    );
    assert.equal(noKeys.type, 'ConfigurationError');
    assert.match(noKeys.message, /VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY/);
  });
});

describe('push activity: fcm', () => {
  let fcm: fcmServer.FcmServer;
  let env: Record<string, string>;

  before(async () => {
    fcm = await fcmServer.start({ goneTokens: ['stale-registration-token'] });
    env = { FCM_SERVICE_ACCOUNT_FILE: fcm.serviceAccountFile, FCM_API_BASE_URL: fcm.url };
  });
  after(async () => {
    await fcm.close();
  });

  test('delivers: the server verified the JWT assertion and bearer token and got the message', async () => {
    const acts = createActivities({ env });
    const result = await run(
      activityEnv(),
      acts.push,
      input({ provider: 'fcm', to: 'device-token-1', title: 'Ada', body: 'New message', data: { channel: 'c-1', unread: 3, meta: { a: 1 } }, ttl: 600 }),
    );
    assert.equal(fcm.tokenRequests.length, 1);
    assert.equal(fcm.tokenRequests[0]?.ok, true, fcm.tokenRequests[0]?.reason);
    const msg = fcm.messages.at(-1);
    assert.ok(msg);
    assert.equal(result.status, 200);
    assert.equal(result.id, msg.name);
    assert.equal(msg.message.token, 'device-token-1');
    assert.deepEqual(msg.message.notification, { title: 'Ada', body: 'New message' });
    assert.deepEqual(msg.message.data, { channel: 'c-1', unread: '3', meta: '{"a":1}' });
    assert.deepEqual(msg.message['android'], { ttl: '600s' });

    // A second message reuses the cached access token.
    await run(activityEnv(), acts.push, input({ provider: 'fcm', to: 'device-token-2', body: 'again' }));
    assert.equal(fcm.tokenRequests.length, 1);
    assert.equal(fcm.messages.at(-1)?.accessToken, msg.accessToken);
  });

  test('an UNREGISTERED token fails with SubscriptionGone', async () => {
    const failure = await failureOf(run(activityEnv(), createActivities({ env }).push, input({ provider: 'fcm', to: 'stale-registration-token', title: 'x' })));
    assert.equal(failure.type, 'SubscriptionGone');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /UNREGISTERED/);
  });

  test('a revoked access token (401) is retryable and the next attempt fetches a new one', async () => {
    const acts = createActivities({ env });
    await run(activityEnv(), acts.push, input({ provider: 'fcm', to: 'device-token-3', title: 'warm-up' }));
    const tokensBefore = fcm.tokenRequests.length;
    fcm.revokeAccessTokens();
    const failure = await failureOf(run(activityEnv(1), acts.push, input({ provider: 'fcm', to: 'device-token-3', title: 'x' })));
    assert.equal(failure.type, 'PushTemporaryFailure');
    assert.equal(retryable(failure), true);
    await run(activityEnv(2), acts.push, input({ provider: 'fcm', to: 'device-token-3', title: 'x' }));
    assert.equal(fcm.tokenRequests.length, tokensBefore + 1);
  });

  test('a wrong FCM_API_BASE_URL (404 without UNREGISTERED) is PushRejected naming it; no access token in the message', async () => {
    const acts = createActivities({ env: { ...env, FCM_API_BASE_URL: `${fcm.url}/nowhere` } });
    const failure = await failureOf(run(activityEnv(), acts.push, input({ provider: 'fcm', to: 'device-token-4', title: 'x' })));
    assert.equal(failure.type, 'PushRejected');
    assert.match(failure.message, /FCM_API_BASE_URL/);
    for (const req of fcm.messages) assert.ok(!failure.message.includes(req.accessToken));
    assert.ok(!/ya29\./.test(failure.message), failure.message);
  });

  test('missing FCM_SERVICE_ACCOUNT_FILE is a ConfigurationError naming it', async () => {
    const failure = await failureOf(run(activityEnv(), createActivities({ env: {} }).push, input({ provider: 'fcm', to: 'device-token-1' })));
    assert.equal(failure.type, 'ConfigurationError');
    assert.match(failure.message, /FCM_SERVICE_ACCOUNT_FILE/);
  });
});
