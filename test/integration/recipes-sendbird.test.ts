// examples/sendbird-notify-members.yaml and examples/sendbird-email-unread.yaml end to end: signed
// Sendbird deliveries through `hookflow send`, a real Temporal server, and what the presence API,
// the Twilio double, the SMTP server, FCM and the Web Push endpoint received.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import webpush from 'web-push';
import { uniqueTaskQueue } from '../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';
import { start as startSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { start as startTwilio, testCredentials, type TwilioServer } from '../helpers/twilio-server.js';
import { start as startPush, type PushServer, type PushSubscriptionJson } from '../helpers/push-server.js';
import { start as startFcm, type FcmServer } from '../helpers/fcm-server.js';
import { createHmac } from 'node:crypto';
import { fixture, onlyRun, payloadFile, readJson, recipeFiles, startRecipes, until, type IngressReply, type RecipeHarness } from './recipes-kit.js';

const SENDBIRD_TOKEN = 'sendbird-master-api-token-for-tests';
const API_TOKEN = 'sendbird-api-token-7c1d';
const BAD_PHONE = '+15005550001';
const ONLINE = new Set(['kim', 'ana']);

let presence: HttpSink;
let smtp: TestSmtpServer;
let twilio: TwilioServer;
let push: PushServer;
let fcm: FcmServer;
let env: Record<string, string>;
let subscription: PushSubscriptionJson;

before(async () => {
  presence = await startSink({
    fallback: (req) => {
      const user = /^\/v3\/users\/([^/]+)$/.exec(req.path)?.[1];
      if (!user || req.headers['api-token'] !== API_TOKEN) return { status: 401, body: { error: true, message: 'Invalid API Token' } };
      return { status: 200, body: { user_id: user, is_online: ONLINE.has(user), last_seen_at: 0 } };
    },
  });
  smtp = await startSmtp();
  const creds = testCredentials();
  twilio = await startTwilio({ ...creds, badNumbers: { [BAD_PHONE]: { code: 21211 } } });
  push = await startPush();
  fcm = await startFcm();
  const vapid = webpush.generateVAPIDKeys();
  subscription = push.createSubscription({ vapidPublicKey: vapid.publicKey });
  env = {
    SENDBIRD_WEBHOOK_SECRET: SENDBIRD_TOKEN,
    HOOKFLOW_SECRET_SENDBIRD_API_URL: presence.url,
    HOOKFLOW_SECRET_SENDBIRD_API_TOKEN: API_TOKEN,
    SMTP_URL: smtp.url,
    HOOKFLOW_EMAIL_FROM: 'chat@hookflow.example',
    TWILIO_ACCOUNT_SID: creds.accountSid,
    TWILIO_AUTH_TOKEN: creds.authToken,
    TWILIO_API_BASE_URL: twilio.url,
    TWILIO_FROM: '+15005550006',
    VAPID_PUBLIC_KEY: vapid.publicKey,
    VAPID_PRIVATE_KEY: vapid.privateKey,
    VAPID_SUBJECT: 'mailto:ops@hookflow.example',
    FCM_SERVICE_ACCOUNT_FILE: fcm.serviceAccountFile,
    FCM_API_BASE_URL: fcm.url,
  };
});
after(async () => {
  await Promise.all([presence?.close(), smtp?.close(), twilio?.close(), push?.close(), fcm?.close()]);
});

let counter = 0;
/** The provider sample with this test's own channel, text and members (so no two runs share a delivery id). */
function message(opts: { youngPhone?: string } = {}): { body: any; channelUrl: string; channelName: string; text: string; createdAt: number } {
  const n = ++counter;
  const body = readJson(fixture('providers', 'sendbird', 'group_channel-message_send.json'));
  const channelUrl = `sendbird_group_channel_e2e_${process.pid}_${n}`;
  const channelName = `Standup ${process.pid}-${n}`;
  const text = `Are you coming to standup #${n}?`;
  const createdAt = Date.now();
  body.channel.channel_url = channelUrl;
  body.channel.name = channelName;
  body.payload.message = text;
  body.payload.message_id = 1102358093 + n;
  body.payload.created_at = createdAt;
  const [jay, young] = body.members;
  young.metadata.phone = opts.youngPhone ?? young.metadata.phone;
  body.members = [
    jay,
    young,
    { user_id: 'kim', nickname: 'Kim', is_online: true, metadata: { fcm_token: `fcm-token-kim-${n}`, phone: '+15005550010', email: 'kim@example.com' } },
    { user_id: 'ana', nickname: 'Ana', is_online: true, metadata: { webpush_subscription: JSON.stringify(subscription), email: 'ana@example.com' } },
  ];
  return { body, channelUrl, channelName, text, createdAt };
}

function readReceipt(channelUrl: string, userId: string, readAt: number): any {
  const body = readJson(fixture('sendbird', 'group_channel-message_read.json'));
  body.channel.channel_url = channelUrl;
  body.read_updates[0].user_id = userId;
  body.read_updates[0].read_at = readAt;
  return body;
}

const smsTo = (to: string, text: string) => twilio.messages.filter((m) => m.to === to && m.body.includes(text));
const mailsAbout = (channelName: string) => smtp.messages.filter((m) => m.subject.includes(channelName));

describe('sendbird-digest', () => {
  let h: RecipeHarness;
  before(async () => {
    // A quiet period of 5 s instead of 2 min.
    h = await startRecipes({ recipes: recipeFiles(['sendbird-digest.yaml', {}, [[['debounce', 'period'], '5s']]]), env });
  });
  after(async () => h?.stop());

  test('a burst of three messages plus a retry: the offline member gets one SMS and one email with all three', async () => {
    const m = message();
    const texts = [m.text, `${m.text} (2)`, `${m.text} (3)`];
    const bodies = texts.map((text, i) =>
      JSON.stringify({ ...m.body, payload: { ...m.body.payload, message: text, message_id: m.body.payload.message_id * 10 + i } }),
    );
    // Signed as Sendbird signs (hex HMAC-SHA256 of the body with the master API token), posted
    // straight away: a burst comes faster than `hookflow send` processes start.
    const post = async (body: string): Promise<IngressReply> => {
      const signature = createHmac('sha256', SENDBIRD_TOKEN).update(body).digest('hex');
      const res = await fetch(`${h.hf.url}/hooks/sendbird`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-sendbird-signature': signature },
        body,
      });
      assert.equal(res.status, 200);
      return (await res.json()) as IngressReply;
    };
    const wid = onlyRun(await post(bodies[0]!), 'sendbird-digest');
    await post(bodies[1]!);
    const retry = await post(bodies[1]!);
    assert.equal(retry.runs[0]?.duplicate, true, "Sendbird's retry of a delivery is a duplicate");
    await post(bodies[2]!);

    const r = await h.result(wid);
    assert.equal(r.status, 'completed', r.error);
    const sms = twilio.messages.filter((x) => x.to === '+15005550009' && x.body.includes(m.channelName));
    assert.equal(sms.length, 1);
    assert.equal(sms[0]!.body, `3 new in ${m.channelName}:\n${texts.map((t) => `Jay: ${t}`).join('\n')}`);
    const mails = mailsAbout(m.channelName);
    assert.deepEqual(
      mails.map((x) => x.to),
      [['young@example.com']],
    );
    assert.equal(mails[0]!.subject, `3 new messages in ${m.channelName}`);
    for (const text of texts) assert.ok((mails[0]!.text ?? '').includes(`Jay: ${text}`), text);
    assert.equal(twilio.messages.filter((x) => x.to === '+15005550006' && x.body.includes(m.channelName)).length, 0, 'the sender wrote them all');
  });
});

describe('sendbird-notify-members', () => {
  let h: RecipeHarness;
  before(async () => {
    h = await startRecipes({ recipes: recipeFiles('sendbird-notify-members.yaml'), env });
  });
  after(async () => h?.stop());

  test('offline member: SMS and email; online members: FCM and Web Push; the sender: nothing', async () => {
    const m = message();
    const lookupsBefore = presence.requests.length;
    const wid = onlyRun(await h.send('sendbird', payloadFile(m.body)), 'sendbird-notify-members');
    const r = await h.result(wid);
    assert.equal(r.status, 'completed', r.error);

    const lookups = presence.requests.slice(lookupsBefore);
    assert.deepEqual(lookups.map((q) => q.path).sort(), ['/v3/users/ana', '/v3/users/kim', '/v3/users/young']);
    assert.ok(
      lookups.every((q) => q.headers['api-token'] === API_TOKEN),
      'the API token from HOOKFLOW_SECRET_SENDBIRD_API_TOKEN',
    );

    const sms = smsTo('+15005550009', m.text);
    assert.equal(sms.length, 1);
    assert.equal(sms[0]!.body, `Jay: ${m.text}`);
    assert.equal(sms[0]!.from, '+15005550006');

    const mails = mailsAbout(m.channelName);
    assert.deepEqual(
      mails.map((x) => x.to),
      [['young@example.com']],
    );
    assert.equal(mails[0]!.subject, `New message from Jay in ${m.channelName}`);
    assert.match(mails[0]!.text ?? '', new RegExp(m.text.replace(/[?#]/g, '\\$&')));

    const fcmMsgs = fcm.messages.filter((x) => x.message.token === `fcm-token-kim-${counter}`);
    assert.equal(fcmMsgs.length, 1);
    assert.deepEqual(fcmMsgs[0]!.message.notification, { title: `Jay in ${m.channelName}`, body: m.text });
    assert.equal(fcmMsgs[0]!.message.data?.['channel_url'], m.channelUrl);

    const pushes = push.messages.filter((x) => (x.json as { title?: string } | undefined)?.title === `Jay in ${m.channelName}`);
    assert.equal(pushes.length, 1);
    assert.deepEqual(pushes[0]!.json, {
      title: `Jay in ${m.channelName}`,
      body: m.text,
      data: { channel_url: m.channelUrl, message_id: m.body.payload.message_id },
    });

    assert.equal(smsTo('+15005550006', m.text).length, 0, 'the sender is not notified');
  });

  test('a phone number Twilio refuses: the email still goes out and the run completes', async () => {
    const m = message({ youngPhone: BAD_PHONE });
    const wid = onlyRun(await h.send('sendbird', payloadFile(m.body)), 'sendbird-notify-members');
    const r = await h.result(wid);
    assert.equal(r.status, 'completed', r.error);
    const sms = r.steps.find((s) => s.kind === 'sms');
    assert.equal(sms?.status, 'failed');
    assert.match(sms?.error ?? '', /21211/);
    assert.equal(sms?.attempts, 1, 'an invalid number is not retried');
    assert.deepEqual(
      mailsAbout(m.channelName).map((x) => x.to),
      [['young@example.com']],
    );
  });
});

describe('sendbird-email-unread', () => {
  // Both hookflows share a task queue: the sendbird mailbox (which routes read receipts to waiting
  // runs) lives on the queue of the first one and must keep a worker after it stops.
  const taskQueue = uniqueTaskQueue('sendbird-unread');

  describe('with a read timeout long enough to read it', () => {
    let h: RecipeHarness;
    before(async () => {
      h = await startRecipes({ recipes: recipeFiles(['sendbird-email-unread.yaml', { read_timeout: '90s' }]), env, taskQueue });
    });
    after(async () => h?.stop());

    test('a read receipt for the message ends the wait: SMS, no email; other receipts do not count', async () => {
      const m = message();
      const wid = onlyRun(await h.send('sendbird', payloadFile(m.body)), 'sendbird-email-unread');
      await until(() => smsTo('+15005550009', m.text).length === 1, 'the SMS to young');
      // Not this channel; then this channel but read before the message was sent; then the real one.
      const other = await h.send('sendbird', payloadFile(readReceipt(`${m.channelUrl}_other`, 'young', m.createdAt + 500)));
      const older = await h.send('sendbird', payloadFile(readReceipt(m.channelUrl, 'young', m.createdAt - 60_000)));
      assert.deepEqual([other.runs, older.runs], [[], []], 'a read receipt starts no recipe');
      const read = await h.send('sendbird', payloadFile(readReceipt(m.channelUrl, 'young', m.createdAt + 1500)));
      const r = await h.result(wid);
      assert.equal(r.status, 'completed', r.error);
      const wait = r.steps.find((s) => s.kind === 'wait_for');
      assert.equal(wait?.output, `received group_channel:message_read ${read.event.id}`);
      assert.equal(mailsAbout(m.channelName).length, 0, 'no email when the message was read');
      assert.equal(fcm.messages.filter((x) => x.message.token === `fcm-token-kim-${counter}`).length, 1, 'online kim got a push');
    });
  });

  describe('with a read timeout of 4 s', () => {
    let h: RecipeHarness;
    before(async () => {
      h = await startRecipes({ recipes: recipeFiles(['sendbird-email-unread.yaml', { read_timeout: '4s' }]), env, taskQueue });
    });
    after(async () => h?.stop());

    test('no read receipt in time: SMS at once, the email after the timeout', async () => {
      const m = message();
      const wid = onlyRun(await h.send('sendbird', payloadFile(m.body)), 'sendbird-email-unread');
      await until(() => smsTo('+15005550009', m.text).length === 1, 'the SMS to young');
      const smsAt = Date.now();
      const r = await h.result(wid);
      assert.equal(r.status, 'completed', r.error);
      const mails = mailsAbout(m.channelName);
      assert.deepEqual(
        mails.map((x) => x.to),
        [['young@example.com']],
      );
      assert.equal(mails[0]!.subject, `Unread message from Jay in ${m.channelName}`);
      assert.ok(Date.now() - smsAt >= 3000, `the email came ${Date.now() - smsAt} ms after the SMS, before the 4 s wait was over`);
      const wait = r.steps.find((s) => s.kind === 'wait_for');
      assert.match(wait?.output ?? '', /^timed out/);
    });
  });
});
