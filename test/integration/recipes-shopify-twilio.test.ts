// examples/shopify-order-fulfilment.yaml and examples/twilio-sms-auto-reply.yaml end to end: signed
// deliveries through `hookflow send` and a real Temporal server, checked at a fulfilment-API sink
// and the Twilio double.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';
import { testCredentials } from '../helpers/twilio-server.js';
import { fixture, onlyRun, payloadFile, readJson, recipeFiles, startRecipes, type RecipeHarness } from './recipes-kit.js';

describe('shopify-order-fulfilment', () => {
  let api: HttpSink;
  let h: RecipeHarness;
  const TOKEN = 'fulfilment-token-91b2';

  before(async () => {
    api = await startSink({
      fallback: (req) => {
        if (req.headers.authorization !== `Bearer ${TOKEN}`) return { status: 401, body: { error: 'bad token' } };
        const order = JSON.parse(req.body) as { reference: string };
        if (order.reference === '#10000') return { status: 422, body: { error: 'unknown sku IPOD2008BLACK' } };
        return { status: 201, body: { id: 'shp_5521', status: 'queued' } };
      },
    });
    h = await startRecipes({
      recipes: recipeFiles('shopify-order-fulfilment.yaml'),
      env: {
        SHOPIFY_WEBHOOK_SECRET: 'shopify-app-secret-for-tests',
        HOOKFLOW_SECRET_FULFILMENT_API_URL: `${api.url}/v1`,
        HOOKFLOW_SECRET_FULFILMENT_API_TOKEN: TOKEN,
      },
    });
  });
  after(async () => {
    await h?.stop();
    await api?.close();
  });

  const headers = () => readJson<Record<string, string>>(fixture('providers', 'shopify', 'orders-create.headers.json'));

  test('a paid order becomes one shipment request, with the shop and the order as Shopify sent them', async () => {
    const reply = await h.send('shopify', fixture('providers', 'shopify', 'orders-create.json'), headers());
    const wid = onlyRun(reply, 'shopify-order-fulfilment');
    const r = await h.result(wid);
    assert.equal(r.status, 'completed', r.error);
    assert.equal(api.requests.length, 1);
    const req = api.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v1/shipments');
    assert.equal(req.headers['idempotency-key'], `${wid}/shipment`);
    assert.deepEqual(JSON.parse(req.body), {
      reference: '#9999',
      order_id: 'gid://shopify/Order/820982911946154508',
      shop: 'example.myshopify.com',
      email: 'jon@example.com',
      ship_to: { name: 'Steve Shipper', address1: '123 Shipping Street', city: 'Shippington', province: 'Kentucky', zip: '40003', country: 'United States' },
      items: [
        { sku: 'IPOD2008PINK', quantity: 1 },
        { sku: 'IPOD2008BLACK', quantity: 1 },
      ],
    });
    assert.deepEqual(
      r.logs.map((l) => l.message),
      ['order #9999 → shipment shp_5521'],
    );
  });

  test('the warehouse refusing an order (422) fails the run at once with its answer', async () => {
    const body = readJson(fixture('providers', 'shopify', 'orders-create.json'));
    body.name = '#10000';
    const before = api.requests.length;
    const reply = await h.send('shopify', payloadFile(body), { ...headers(), 'X-Shopify-Webhook-Id': 'e5c1a2f0-0d6b-4b8e-9a41-3f2b7c9d1e08' });
    const r = await h.result(onlyRun(reply, 'shopify-order-fulfilment'));
    assert.equal(r.status, 'failed');
    assert.match(r.error ?? '', /422/);
    assert.match(r.error ?? '', /unknown sku IPOD2008BLACK/);
    assert.equal(api.requests.length - before, 1, 'a 4xx is not retried');
  });

  test('an unpaid order starts nothing', async () => {
    const body = readJson(fixture('providers', 'shopify', 'orders-create.json'));
    body.financial_status = 'pending';
    const reply = await h.send('shopify', payloadFile(body), { ...headers(), 'X-Shopify-Webhook-Id': '0b7f3c2e-52a4-4c1d-8f6e-9a0b1c2d3e4f' });
    assert.deepEqual(reply.runs, []);
  });
});

describe('twilio-sms-auto-reply', () => {
  let h: RecipeHarness;
  const inbound = readFileSync(fixture('providers', 'twilio', 'inbound-sms.form'), 'utf8');
  const creds = testCredentials();

  before(async () => {
    // Twilio signs the URL it calls: the public one, here as if hookflow sat behind a proxy. The
    // reply travels in the answer (TwiML): no Twilio API credentials are set.
    h = await startRecipes({
      recipes: recipeFiles('twilio-sms-auto-reply.yaml'),
      publicUrl: 'https://hooks.example.com',
      env: { TWILIO_WEBHOOK_SECRET: creds.authToken },
    });
  });
  after(async () => {
    await h?.stop();
  });

  /** The sample inbound SMS with another text and message sid. */
  function sms(body: string, sid: string): string {
    const form = new URLSearchParams(inbound);
    for (const k of ['MessageSid', 'SmsSid', 'SmsMessageSid']) form.set(k, sid);
    form.set('Body', body);
    return payloadFile(form.toString(), 'form');
  }

  test('an incoming SMS is answered with TwiML, and its run records the conversation', async () => {
    const reply = await h.sendRaw('twilio', fixture('providers', 'twilio', 'inbound-sms.form'));
    assert.match(reply.status, /^200 /);
    assert.equal(
      reply.body,
      '<Response><Message>Thanks for your message! We will get back to you within one business day. Reply HOURS for our opening hours.</Message></Response>',
    );
    const sid = new URLSearchParams(inbound).get('MessageSid');
    const r = await h.result(`twilio-sms-auto-reply/twilio/${sid}:received`);
    assert.equal(r.status, 'completed', r.error);
    assert.match(r.logs[0]?.message ?? '', /^\+14155551234 wrote to \+15005550006: /);
  });

  test('"Hours?" gets the opening hours; STOP is left to Twilio (no TwiML, nothing started)', async () => {
    const hours = await h.sendRaw('twilio', sms('Hours?', 'SM00000000000000000000000000e2e001'));
    assert.equal(hours.body, '<Response><Message>We are open Mon–Fri 9:00–18:00, Sat 10:00–14:00 (CET).</Message></Response>');
    const stop = await h.send('twilio', sms('STOP', 'SM00000000000000000000000000e2e002'));
    assert.deepEqual(stop.runs, []);
  });
});
