// Every preset through the real HTTP ingress and a real Temporal server: a signed delivery is
// answered 200 with its event type and id and starts its recipe's run; tampered, wrongly keyed and
// stale deliveries are refused and start nothing; handshakes are answered; signature headers never
// reach the run's stored input. Signing uses the provider's own npm library where one is installed
// (Stripe, Standard Webhooks, Octokit, Twilio) and the preset's sign() elsewhere.
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sign as octokitSign } from '@octokit/webhooks-methods';
import type { Client } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import twilioLib from 'twilio';
import type { RunInput } from '../../src/core/types.js';
import { bodyHashId, getProvider } from '../../src/providers/index.js';
import { eventually, startTestHookflow, startedRun } from '../helpers/hookflow.js';

const PUBLIC_URL = 'https://hooks.example.com';
const TAG = randomUUID().slice(0, 8); // recipe names unique per test run: workflow ids never collide with an earlier run

const discordKeys = generateKeyPairSync('ed25519');
const discordPublicHex = (discordKeys.publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(12).toString('hex');
const discordPrivatePem = discordKeys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const otherDiscordPem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

const SECRETS: Record<string, string> = {
  MEIQIA_WEBHOOK_SECRET: 'meiqia-app-secret',
  SENDBIRD_WEBHOOK_SECRET: 'sendbird-master-api-token',
  GITHUB_WEBHOOK_SECRET: "It's a Secret to Everybody", // GitHub's docs example secret
  STRIPE_WEBHOOK_SECRET: 'whsec_test_5f1c0a7e2b',
  SLACK_WEBHOOK_SECRET: '8f742231b10e8888abcd99yyyzzz85a5', // Slack's docs example secret
  SHOPIFY_WEBHOOK_SECRET: 'shopify-client-secret',
  TWILIO_WEBHOOK_SECRET: '12345',
  STANDARD_WEBHOOKS_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', // the Standard Webhooks test vector key
  SVIX_WEBHOOK_SECRET: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
  ZOOM_WEBHOOK_SECRET: 'zoom-secret-token',
  DISCORD_WEBHOOK_SECRET: discordPublicHex,
  GH_ROTATED_WEBHOOK_SECRET: 'old-secret, new-secret',
  STRIPE_ROTATED_WEBHOOK_SECRET: 'whsec_old_1111,whsec_new_2222',
  ALERTS_SECRET: 'alerts-hmac-secret',
  TOKEN_SECRET: 'token-in-a-header',
  QTOKEN_SECRET: 'token-in-the-query',
  BASIC_PASSWORD: 'basic-password',
  WHATSAPP_SECRET: 'whatsapp-app-secret',
};

const SOURCES = `
sources:
  gh-rotated: { provider: github }
  stripe-rotated: { provider: stripe }
  alerts:
    provider: generic
    verify: { hmac: sha512, header: X-Signature, encoding: base64, prefix: "sha512=", secret: "\${ALERTS_SECRET}" }
    event: body.alert.status
    id: headers["x-request-id"]
  tokened:
    provider: generic
    verify: { token: { header: X-Api-Token }, secret: "\${TOKEN_SECRET}" }
    event: body.kind
  qtokened:
    provider: generic
    verify: { token: { query: key }, secret: "\${QTOKEN_SECRET}" }
    event: body.event
    id: body.n
  basic:
    provider: generic
    verify: { basic: { username: hook }, secret: "\${BASIC_PASSWORD}" }
  open:
    provider: generic
    verify: none
    event: body.kind
  whatsapp:
    provider: generic
    verify: { hmac: sha256, header: X-Hub-Signature-256, prefix: "sha256=", secret: "\${WHATSAPP_SECRET}" }
    event: '"messages"'
`;

const SOURCE_NAMES = [
  'meiqia',
  'sendbird',
  'github',
  'stripe',
  'slack',
  'shopify',
  'twilio',
  'standard-webhooks',
  'svix',
  'zoom',
  'discord',
  'gh-rotated',
  'stripe-rotated',
  'alerts',
  'tokened',
  'qtokened',
  'basic',
  'open',
  'whatsapp',
];

const recipeName = (source: string): string => `p-${TAG}-${source}`;
function recipes(): Record<string, string> {
  const files: Record<string, string> = { 'sources.yaml': SOURCES };
  for (const s of SOURCE_NAMES) {
    files[`${s}.yaml`] = `name: ${recipeName(s)}\non:\n  source: ${s}\n  event: "*"\nsteps:\n  - log: "got {{ trigger.type }}"\n`;
  }
  return files;
}

function fixture(path: string): Buffer {
  return readFileSync(fileURLToPath(new URL(`../fixtures/providers/${path}`, import.meta.url)));
}
function fixtureHeaders(path: string): Record<string, string> {
  return JSON.parse(fixture(path).toString('utf8')) as Record<string, string>;
}

interface Signed {
  headers: Record<string, string>;
  /** Path + query to call, when the signature covers a rewritten URL (Twilio JSON). */
  path?: string;
}
type Signer = (body: Buffer, secret: string, now: Date) => Signed;

/** The preset's own sign(), as `hookflow send` uses it. */
function presetSigner(provider: string, source: string, contentType: string, extra: Record<string, string> = {}): Signer {
  return (body, secret, now) => {
    const out = getProvider(provider)!.sign({ body, secret, url: `${PUBLIC_URL}/hooks/${source}`, contentType, now, headers: extra });
    return { headers: out.headers, ...(out.url ? { path: new URL(out.url).pathname + new URL(out.url).search } : {}) };
  };
}

const standardWebhooksSigner =
  (prefix: 'webhook' | 'svix', id: string): Signer =>
  (body, secret, now) => ({
    headers: {
      'content-type': 'application/json',
      [`${prefix}-id`]: id,
      [`${prefix}-timestamp`]: String(Math.floor(now.getTime() / 1000)),
      [`${prefix}-signature`]: new Webhook(secret).sign(id, now, body),
    },
  });

const stripeSigner: Signer = (body, secret, now) => ({
  headers: {
    'content-type': 'application/json',
    'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body.toString('utf8'), secret, timestamp: Math.floor(now.getTime() / 1000) }),
  },
});

interface PresetCase {
  source: string;
  body: Buffer;
  sign: Signer;
  secret: string;
  wrongSecret: string;
  type: string;
  id: string;
  /** Lower-case headers that carry the credential: must not be stored with the run. */
  sensitive: string[];
  /** Signs a timestamp: a delivery 10 minutes old is refused. */
  timestamped: boolean;
  /** Token and Basic sources authenticate the sender, not the bytes: a changed body is not theirs to catch. */
  bodyUnsigned?: boolean;
}

const ghDelivery = fixtureHeaders('github/push.headers.json');
const shopifyHeaders = fixtureHeaders('shopify/orders-create.headers.json');
const swId = `msg_${TAG}`;
const svixId = `msg_svix_${TAG}`;
const discordCommand = Buffer.from(
  JSON.stringify({ id: `1229${Date.now()}`, application_id: '1229380000000000000', type: 2, token: 'tok', version: 1, data: { name: 'hello' } }),
);
const alertBody = Buffer.from(JSON.stringify({ alert: { status: 'firing', name: 'disk full' } }));

const CASES: PresetCase[] = [
  {
    source: 'meiqia',
    body: fixture('meiqia/conversation.updated.json'),
    secret: SECRETS.MEIQIA_WEBHOOK_SECRET!,
    wrongSecret: 'nope',
    sign: presetSigner('meiqia', 'meiqia', 'application/json; charset=utf-8'),
    type: 'conversation.updated',
    id: 'sub_09e4bee581ffbcd347fcf634e0f99df8_1632648830',
    sensitive: ['meiqia-sign'],
    timestamped: false,
  },
  {
    source: 'sendbird',
    body: fixture('sendbird/group_channel-message_send.json'),
    secret: SECRETS.SENDBIRD_WEBHOOK_SECRET!,
    wrongSecret: 'nope',
    sign: presetSigner('sendbird', 'sendbird', 'application/json'),
    type: 'group_channel:message_send',
    id: bodyHashId(fixture('sendbird/group_channel-message_send.json')),
    sensitive: ['x-sendbird-signature'],
    timestamped: false,
  },
  {
    source: 'github',
    body: fixture('github/push.json'),
    secret: SECRETS.GITHUB_WEBHOOK_SECRET!,
    wrongSecret: 'nope',
    // Octokit's signer is async: signed up front in before().
    sign: () => ({ headers: {} }),
    type: 'push',
    id: ghDelivery['X-GitHub-Delivery']!,
    sensitive: ['x-hub-signature-256'],
    timestamped: false,
  },
  {
    source: 'stripe',
    body: fixture('stripe/payment_intent.succeeded.json'),
    secret: SECRETS.STRIPE_WEBHOOK_SECRET!,
    wrongSecret: 'whsec_wrong',
    sign: stripeSigner,
    type: 'payment_intent.succeeded',
    id: 'evt_3P5lYx2eZvKYlo2C0vWc1Abc',
    sensitive: ['stripe-signature'],
    timestamped: true,
  },
  {
    source: 'slack',
    body: fixture('slack/event_callback-message.json'),
    secret: SECRETS.SLACK_WEBHOOK_SECRET!,
    wrongSecret: 'nope',
    sign: presetSigner('slack', 'slack', 'application/json'),
    type: 'message',
    id: 'Ev0PV52K21',
    sensitive: ['x-slack-signature'],
    timestamped: true,
  },
  {
    source: 'shopify',
    body: fixture('shopify/orders-create.json'),
    secret: SECRETS.SHOPIFY_WEBHOOK_SECRET!,
    wrongSecret: 'nope',
    sign: presetSigner('shopify', 'shopify', 'application/json', shopifyHeaders),
    type: 'orders/create',
    id: shopifyHeaders['X-Shopify-Webhook-Id']!,
    sensitive: ['x-shopify-hmac-sha256'],
    timestamped: false,
  },
  {
    // PUBLIC_URL is https://hooks.example.com while the request reaches 127.0.0.1: Twilio signs the public URL.
    source: 'twilio',
    body: fixture('twilio/inbound-sms.form'),
    secret: SECRETS.TWILIO_WEBHOOK_SECRET!,
    wrongSecret: 'nope',
    sign: (body, secret) => ({
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioLib.getExpectedTwilioSignature(
          secret,
          `${PUBLIC_URL}/hooks/twilio`,
          Object.fromEntries(new URLSearchParams(body.toString('utf8'))),
        ),
      },
    }),
    type: 'message.received',
    id: 'SM1f0e8ae6ade43cb3c0ce4525424e404f:received',
    sensitive: ['x-twilio-signature'],
    timestamped: false,
  },
  {
    source: 'standard-webhooks',
    body: fixture('standard-webhooks/invoice.paid.json'),
    secret: SECRETS.STANDARD_WEBHOOKS_WEBHOOK_SECRET!,
    wrongSecret: 'whsec_d3JvbmctYnV0LWJhc2U2NC1rZXk=',
    sign: standardWebhooksSigner('webhook', swId),
    type: 'invoice.paid',
    id: swId,
    sensitive: ['webhook-signature'],
    timestamped: true,
  },
  {
    source: 'svix',
    body: fixture('standard-webhooks/invoice.paid.json'),
    secret: SECRETS.SVIX_WEBHOOK_SECRET!,
    wrongSecret: 'whsec_d3JvbmctYnV0LWJhc2U2NC1rZXk=',
    sign: standardWebhooksSigner('svix', svixId),
    type: 'invoice.paid',
    id: svixId,
    sensitive: ['svix-signature'],
    timestamped: true,
  },
  {
    source: 'zoom',
    body: fixture('zoom/meeting.started.json'),
    secret: SECRETS.ZOOM_WEBHOOK_SECRET!,
    wrongSecret: 'nope',
    sign: presetSigner('zoom', 'zoom', 'application/json'),
    type: 'meeting.started',
    id: bodyHashId(fixture('zoom/meeting.started.json')),
    sensitive: ['x-zm-signature'],
    timestamped: true,
  },
  {
    source: 'discord',
    body: discordCommand,
    secret: discordPrivatePem,
    wrongSecret: otherDiscordPem,
    sign: presetSigner('discord', 'discord', 'application/json'),
    type: 'APPLICATION_COMMAND',
    id: JSON.parse(discordCommand.toString()).id,
    sensitive: ['x-signature-ed25519'],
    timestamped: true,
  },
  {
    source: 'alerts',
    body: alertBody,
    secret: SECRETS.ALERTS_SECRET!,
    wrongSecret: 'nope',
    sign: (body, secret) => ({
      headers: {
        'content-type': 'application/json',
        'x-request-id': `req-${TAG}`,
        'x-signature': `sha512=${createHmac('sha512', secret).update(body).digest('base64')}`,
      },
    }),
    type: 'firing',
    id: `req-${TAG}`,
    sensitive: ['x-signature'],
    timestamped: false,
  },
  {
    source: 'tokened',
    body: Buffer.from('{"kind":"build.finished"}'),
    secret: SECRETS.TOKEN_SECRET!,
    wrongSecret: 'nope',
    sign: (_b, secret) => ({ headers: { 'content-type': 'application/json', 'x-api-token': secret } }),
    type: 'build.finished',
    id: bodyHashId(Buffer.from('{"kind":"build.finished"}')),
    sensitive: ['x-api-token'],
    timestamped: false,
    bodyUnsigned: true,
  },
  {
    source: 'basic',
    body: Buffer.from('<order><id>77</id></order>'),
    secret: SECRETS.BASIC_PASSWORD!,
    wrongSecret: 'nope',
    sign: (_b, secret) => ({ headers: { 'content-type': 'application/xml', authorization: `Basic ${Buffer.from(`hook:${secret}`).toString('base64')}` } }),
    type: 'webhook',
    id: bodyHashId(Buffer.from('<order><id>77</id></order>')),
    sensitive: ['authorization'],
    timestamped: false,
    bodyUnsigned: true,
  },
];

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function call(base: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Answer> {
  const res = await fetch(base + path, { method: init.method ?? 'POST', headers: init.headers, body: init.body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

async function exists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return false;
    throw err;
  }
}

async function runInput(client: Client, workflowId: string): Promise<RunInput> {
  const history = await (await startedRun(client, workflowId)).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  assert.ok(payload, `${workflowId} has no input`);
  return client.options.loadedDataConverter.payloadConverter.fromPayload(payload) as RunInput;
}

/** A change the signature must notice; the JSON (or form) still parses, so only the signature can catch it. */
function tamper(body: Buffer): Buffer {
  const text = body.toString('utf8');
  if (text.trimStart().startsWith('<')) return Buffer.from(text.replace('77', '78'));
  if (!text.trimStart().startsWith('{')) return Buffer.from(`${text}&Injected=1`);
  return Buffer.from(text.replace(/\}\s*$/, ' }'));
}

describe('ingress presets over real HTTP (real Temporal)', () => {
  let hf: Awaited<ReturnType<typeof startTestHookflow>>;
  let client: Client;
  const accepted = new Set<string>(); // every workflow id this suite expects to exist on its task queue

  before(async () => {
    hf = await startTestHookflow({ recipes: recipes(), env: { ...SECRETS, PUBLIC_URL } });
    client = hf.client!.client;
    const gh = CASES.find((c) => c.source === 'github')!;
    const ghSig = await octokitSign(gh.secret, gh.body.toString('utf8'));
    const ghWrong = await octokitSign(gh.wrongSecret, gh.body.toString('utf8'));
    const ghTampered = await octokitSign(gh.secret, tamper(gh.body).toString('utf8'));
    gh.sign = (body, secret) => {
      const sig = secret === gh.wrongSecret ? ghWrong : body.equals(gh.body) ? ghSig : ghTampered;
      return { headers: { 'content-type': 'application/json', ...ghDelivery, 'x-hub-signature-256': sig } };
    };
  });
  after(async () => {
    await hf?.stop();
  });

  for (const c of CASES) {
    test(`${c.source}: refused when ${c.bodyUnsigned ? '' : 'tampered, '}wrongly keyed${c.timestamped ? ' or stale' : ''}; accepted when valid, with no credential stored`, async () => {
      const now = new Date();
      const workflowId = `${recipeName(c.source)}/${c.source}/${c.id}`;
      const send = (body: Buffer, s: Signed): Promise<Answer> => call(hf.url, s.path ?? `/hooks/${c.source}`, { headers: s.headers, body });

      // Tampered: signed for the original bytes, then the body changed (headers kept).
      const signed = c.sign(c.body, c.secret, now);
      if (!c.bodyUnsigned) {
        const tampered = await send(tamper(c.body), signed);
        assert.equal(tampered.status, 401, tampered.text);
        assert.equal(tampered.json.error.code, 'bad_signature');
      }

      const wrong = await send(c.body, c.sign(c.body, c.wrongSecret, now));
      assert.equal(wrong.status, 401, wrong.text);
      assert.equal(wrong.json.error.code, 'bad_signature');

      if (c.timestamped) {
        const stale = await send(c.body, c.sign(c.body, c.secret, new Date(now.getTime() - 10 * 60_000)));
        assert.equal(stale.status, 401, stale.text);
        assert.equal(stale.json.error.code, 'stale_timestamp');
        assert.match(stale.json.error.message, /in the past/);
      }
      // None of the refused deliveries started the run (its id is the valid one's, or derived from the tampered bytes).
      assert.equal(await exists(client, workflowId), false, 'a refused delivery started a run');
      assert.equal(await exists(client, `${recipeName(c.source)}/${c.source}/${bodyHashId(tamper(c.body))}`), false);

      const ok = await send(c.body, c.sign(c.body, c.secret, new Date()));
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(ok.json, {
        accepted: true,
        request: ok.headers.get('x-hookflow-request'),
        event: { source: c.source, type: c.type, id: c.id },
        runs: [{ recipe: recipeName(c.source), workflowId, duplicate: false, state: 'queued' }],
      });
      accepted.add(workflowId);
      await startedRun(client, workflowId);

      const input = await runInput(client, workflowId);
      assert.equal(input.event.type, c.type);
      assert.equal(input.recipe.name, recipeName(c.source));
      for (const h of [...c.sensitive, 'authorization']) {
        assert.equal(Object.hasOwn(input.event.headers, h), false, `${h} was stored in the run's input`);
      }
      const raw = JSON.stringify(input);
      assert.equal(raw.includes(c.secret), false, 'the secret is in the run input');
      for (const v of Object.entries(signed.headers)
        .filter(([k]) => c.sensitive.includes(k.toLowerCase()))
        .map(([, v]) => v)) {
        assert.equal(raw.includes(v), false, 'a signature value is in the run input');
      }
      // The same delivery again is a duplicate.
      const again = await send(c.body, c.sign(c.body, c.secret, new Date()));
      assert.equal(again.status, 200, again.text);
      assert.equal(again.json.runs[0].duplicate, true);
    });
  }

  test('generic source with verify: none accepts unsigned deliveries', async () => {
    const body = `{"kind":"ping","nonce":"${TAG}"}`;
    const res = await call(hf.url, '/hooks/open', { headers: { 'content-type': 'application/json' }, body });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.event.type, 'ping');
    const wf = res.json.runs[0].workflowId as string;
    assert.equal(wf, `${recipeName('open')}/open/${bodyHashId(Buffer.from(body))}`);
    accepted.add(wf);
    await startedRun(client, wf);
  });

  test('rotation: a source whose secret is "old,new" accepts both and refuses a third (github, stripe)', async () => {
    const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', nonce: TAG }));
    for (const [secret, status] of [
      ['old-secret', 200],
      ['new-secret', 200],
      ['retired-secret', 401],
    ] as const) {
      const delivery = randomUUID();
      const res = await call(hf.url, '/hooks/gh-rotated', {
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': delivery,
          'x-hub-signature-256': await octokitSign(secret, body.toString()),
        },
        body,
      });
      assert.equal(res.status, status, `${secret}: ${res.text}`);
      if (status === 200) {
        accepted.add(res.json.runs[0].workflowId);
        assert.equal(res.json.event.id, delivery);
      } else assert.match(res.json.error.message, /2 secrets tried/);
    }
    for (const [secret, status] of [
      ['whsec_old_1111', 200],
      ['whsec_new_2222', 200],
      ['whsec_other', 401],
    ] as const) {
      const evt = Buffer.from(JSON.stringify({ id: `evt_${randomUUID()}`, type: 'invoice.paid' }));
      const res = await call(hf.url, '/hooks/stripe-rotated', { headers: stripeSigner(evt, secret, new Date()).headers, body: evt });
      assert.equal(res.status, status, `${secret}: ${res.text}`);
      if (status === 200) accepted.add(res.json.runs[0].workflowId);
    }
  });

  test('twilio: the signature must be over PUBLIC_URL, not the address the request reached', async () => {
    const body = fixture('twilio/status-delivered.form');
    const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    const local = `${hf.url}/hooks/twilio`;
    const forLocal = twilioLib.getExpectedTwilioSignature(SECRETS.TWILIO_WEBHOOK_SECRET!, local, params);
    const refused = await call(hf.url, '/hooks/twilio', {
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': forLocal },
      body,
    });
    assert.equal(refused.status, 401, refused.text);
    // Twilio's JSON form: bodySHA256 in the signed URL (signed by the preset, checked with Twilio's library).
    const json = Buffer.from(JSON.stringify({ MessageSid: `SM${TAG}`, MessageStatus: 'sent' }));
    const signed = presetSigner('twilio', 'twilio', 'application/json')(json, SECRETS.TWILIO_WEBHOOK_SECRET!, new Date());
    assert.ok(signed.path?.includes('bodySHA256='));
    assert.equal(
      twilioLib.validateRequestWithBody(SECRETS.TWILIO_WEBHOOK_SECRET!, signed.headers['X-Twilio-Signature']!, PUBLIC_URL + signed.path!, json.toString()),
      true,
    );
    const ok = await call(hf.url, signed.path!, { headers: signed.headers, body: json });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json.event, { source: 'twilio', type: 'message.sent', id: `SM${TAG}:sent` });
    accepted.add(ok.json.runs[0].workflowId);
    const tampered = await call(hf.url, signed.path!, { headers: signed.headers, body: Buffer.from(json.toString().replace('sent', 'failed')) });
    assert.equal(tampered.status, 401, tampered.text);
  });

  test('handshake: Slack url_verification answers the challenge and starts nothing', async () => {
    const body = fixture('slack/url_verification.json');
    const signed = presetSigner('slack', 'slack', 'application/json')(body, SECRETS.SLACK_WEBHOOK_SECRET!, new Date());
    const res = await call(hf.url, '/hooks/slack', { headers: signed.headers, body });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { challenge: JSON.parse(body.toString()).challenge });
    // An unsigned one is not answered: the challenge proves the endpoint holds the secret.
    const unsigned = await call(hf.url, '/hooks/slack', { headers: { 'content-type': 'application/json' }, body });
    assert.equal(unsigned.status, 401);
  });

  test('handshake: Zoom endpoint.url_validation answers {plainToken, encryptedToken}', async () => {
    const body = fixture('zoom/endpoint.url_validation.json');
    const signed = presetSigner('zoom', 'zoom', 'application/json')(body, SECRETS.ZOOM_WEBHOOK_SECRET!, new Date());
    const res = await call(hf.url, '/hooks/zoom', { headers: signed.headers, body });
    assert.equal(res.status, 200, res.text);
    const plainToken = 'qgg8vlvZRS6UYooatFL8Aw';
    assert.deepEqual(res.json, { plainToken, encryptedToken: createHmac('sha256', SECRETS.ZOOM_WEBHOOK_SECRET!).update(plainToken).digest('hex') });
  });

  test('handshake: GET ?hub.mode=subscribe&hub.challenge=… answers the challenge; a wrong verify token is 401', async () => {
    const q = (token: string) => `/hooks/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${encodeURIComponent(token)}`;
    const ok = await call(hf.url, q(SECRETS.WHATSAPP_SECRET!), { method: 'GET' });
    assert.equal(ok.status, 200);
    assert.equal(ok.text, '1158201444');
    const bad = await call(hf.url, q('guess'), { method: 'GET' });
    assert.equal(bad.status, 401);
    assert.equal(bad.json.error.code, 'bad_verify_token');
    // The same source's POSTs are Meta's X-Hub-Signature-256 over the body.
    const body = Buffer.from(`{"object":"whatsapp_business_account","entry":[{"id":"${TAG}"}]}`);
    const sig = `sha256=${createHmac('sha256', SECRETS.WHATSAPP_SECRET!).update(body).digest('hex')}`;
    const post = await call(hf.url, '/hooks/whatsapp', { headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig }, body });
    assert.equal(post.status, 200, post.text);
    assert.equal(post.json.event.type, 'messages');
    accepted.add(post.json.runs[0].workflowId);
  });

  test('handshake: Discord PING is answered {"type":1}', async () => {
    const body = fixture('discord/ping.json');
    const signed = presetSigner('discord', 'discord', 'application/json')(body, discordPrivatePem, new Date());
    const res = await call(hf.url, '/hooks/discord', { headers: signed.headers, body });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { type: 1 });
    const forged = await call(hf.url, '/hooks/discord', {
      headers: presetSigner('discord', 'discord', 'application/json')(body, otherDiscordPem, new Date()).headers,
      body,
    });
    assert.equal(forged.status, 401);
  });

  test('GET with the payload in the query string starts a run; the query token is not stored', async () => {
    const n = `${Date.now()}`;
    const res = await call(hf.url, `/hooks/qtokened?key=${SECRETS.QTOKEN_SECRET}&event=order.paid&n=${n}&tag=a&tag=b`, { method: 'GET' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.event, { source: 'qtokened', type: 'order.paid', id: n });
    const wf = res.json.runs[0].workflowId as string;
    accepted.add(wf);
    const input = await runInput(client, wf);
    assert.deepEqual((input.event.body as Record<string, unknown>).tag, ['a', 'b']);
    assert.equal((input.event.body as Record<string, unknown>).event, 'order.paid');
    assert.equal(JSON.stringify(input).includes(SECRETS.QTOKEN_SECRET!), false, 'the query token was stored in the run input');
    const wrong = await call(hf.url, `/hooks/qtokened?key=guess&event=order.paid&n=${n}x`, { method: 'GET' });
    assert.equal(wrong.status, 401);
  });

  test('the task queue holds exactly the runs that were accepted (no refused delivery started one)', async () => {
    const ids = await eventually(
      async () => {
        const found: string[] = [];
        for await (const w of client.workflow.list({ query: `TaskQueue = "${hf.config.taskQueue}"` })) found.push(w.workflowId);
        return found.length >= accepted.size ? found : undefined;
      },
      20_000,
      'visibility to list the accepted runs',
    );
    assert.deepEqual(new Set(ids), accepted);
  });
});

describe('presets with no secret configured', () => {
  let hf: Awaited<ReturnType<typeof startTestHookflow>>;
  const env: Record<string, string> = {};
  // Blank every preset's variable, whatever the environment running the tests holds.
  for (const name of ['meiqia', 'sendbird', 'github', 'stripe', 'slack', 'shopify', 'twilio', 'standard-webhooks', 'svix', 'zoom', 'discord']) {
    env[`${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_WEBHOOK_SECRET`] = '';
  }

  before(async () => {
    hf = await startTestHookflow({
      recipes: { 'x.yaml': `name: nosecret-${TAG}\non: { source: github, event: "*" }\nsteps:\n  - log: hi\n` },
      env,
      roles: { ingress: true, worker: false },
    });
  });
  after(async () => {
    await hf?.stop();
  });

  for (const [source, variable] of [
    ['github', 'GITHUB_WEBHOOK_SECRET'],
    ['standard-webhooks', 'STANDARD_WEBHOOKS_WEBHOOK_SECRET'],
    ['svix', 'SVIX_WEBHOOK_SECRET'],
    ['meiqia', 'MEIQIA_WEBHOOK_SECRET'],
    ['stripe', 'STRIPE_WEBHOOK_SECRET'],
    ['twilio', 'TWILIO_WEBHOOK_SECRET'],
    ['discord', 'DISCORD_WEBHOOK_SECRET'],
  ] as const) {
    test(`${source}: every request is refused 401 naming ${variable}`, async () => {
      // Even one carrying a plausible signature header: nothing can be checked without a secret.
      const res = await call(hf.url, `/hooks/${source}`, {
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' },
        body: '{"type":"x"}',
      });
      assert.equal(res.status, 401, res.text);
      assert.equal(res.json.error.code, 'no_secret');
      assert.ok(res.json.error.message.includes(variable), res.json.error.message);
    });
  }
});
