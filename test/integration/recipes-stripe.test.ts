// examples/stripe-payment-receipt.yaml and examples/stripe-invoice-dunning.yaml end to end: Stripe-
// signed deliveries through `hookflow send`, a real Temporal server, the SMTP server and the Twilio
// double; the dunning wait both satisfied by invoice.paid and timed out.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { uniqueTaskQueue } from '../helpers/hookflow.js';
import { start as startSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { start as startTwilio, testCredentials, type TwilioServer } from '../helpers/twilio-server.js';
import { fixture, onlyRun, payloadFile, readJson, recipeFiles, startRecipes, until, type RecipeHarness } from './recipes-kit.js';

const STRIPE_SECRET = 'whsec_test_0a1b2c3d4e5f60718293a4b5c6d7e8f9';

let smtp: TestSmtpServer;
let twilio: TwilioServer;
let env: Record<string, string>;
// Both dunning hookflows share a task queue: the stripe mailbox that routes invoice.paid to the
// waiting run lives on the queue of the first one and must keep a worker after it stops.
const taskQueue = uniqueTaskQueue('stripe');

before(async () => {
  smtp = await startSmtp();
  const creds = testCredentials();
  twilio = await startTwilio(creds);
  env = {
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    SMTP_URL: smtp.url,
    HOOKFLOW_EMAIL_FROM: 'billing@hookflow.example',
    TWILIO_ACCOUNT_SID: creds.accountSid,
    TWILIO_AUTH_TOKEN: creds.authToken,
    TWILIO_API_BASE_URL: twilio.url,
    TWILIO_FROM: '+15005550006',
  };
});
after(async () => {
  await Promise.all([smtp?.close(), twilio?.close()]);
});

let counter = 0;
/** invoice.payment_failed / invoice.paid for this test's own invoice (fresh event and invoice ids). */
function invoiceEvents(): { failed: any; paid: any; invoiceId: string; number: string } {
  const n = `${process.pid}x${++counter}`;
  const invoiceId = `in_e2e${n}`;
  const number = `E2E-${n}`;
  const failed = readJson(fixture('stripe', 'invoice.payment_failed.json'));
  const paid = readJson(fixture('stripe', 'invoice.paid.json'));
  failed.id = `evt_failed_${n}`;
  paid.id = `evt_paid_${n}`;
  for (const e of [failed, paid]) Object.assign(e.data.object, { id: invoiceId, number });
  return { failed, paid, invoiceId, number };
}

const mailsFor = (number: string) => smtp.messages.filter((m) => m.subject.includes(number));

describe('stripe recipes, invoice.paid awaited for 90 s', () => {
  let h: RecipeHarness;
  before(async () => {
    h = await startRecipes({
      recipes: recipeFiles('stripe-payment-receipt.yaml', ['stripe-invoice-dunning.yaml', { pay_within: '90s' }]),
      env,
      taskQueue,
    });
  });
  after(async () => h?.stop());

  test('payment_intent.succeeded → the receipt email, amount in currency units', async () => {
    const reply = await h.send('stripe', fixture('providers', 'stripe', 'payment_intent.succeeded.json'));
    assert.equal(reply.event.type, 'payment_intent.succeeded');
    const r = await h.result(onlyRun(reply, 'stripe-payment-receipt'));
    assert.equal(r.status, 'completed', r.error);
    const mails = smtp.messages.filter((m) => m.subject === 'Receipt: Order #1001');
    assert.equal(mails.length, 1);
    assert.deepEqual(mails[0]!.to, ['jenny.rosen@example.com']);
    assert.deepEqual(mails[0]!.from, ['billing@hookflow.example']);
    assert.match(mails[0]!.text ?? '', /Amount paid: 20\.00 USD/);
    assert.match(mails[0]!.text ?? '', /Reference: +pi_3P5lYx2eZvKYlo2C0hHn4XyZ/);
    assert.match(mails[0]!.text ?? '', /Date: +2024-04-15T09:20:00\.000Z/);
  });

  test("invoice.payment_failed → SMS now; its invoice.paid arrives (after another invoice's) → no reminder email", async () => {
    const inv = invoiceEvents();
    const smsBefore = twilio.messages.length;
    const wid = onlyRun(await h.send('stripe', payloadFile(inv.failed)), 'stripe-invoice-dunning');
    await until(() => twilio.messages.length > smsBefore, 'the SMS');
    const sms = twilio.messages.slice(smsBefore);
    assert.equal(sms.length, 1);
    assert.equal(sms[0]!.to, '+15005550006');
    assert.match(sms[0]!.body, /^Your payment of 49\.00 USD did not go through\. Pay here: https:\/\/invoice\.stripe\.com\/i\//);

    await h.send('stripe', payloadFile(invoiceEvents().paid)); // another invoice's payment: not this one
    const paid = await h.send('stripe', payloadFile(inv.paid));
    assert.deepEqual(paid.runs, [], 'invoice.paid starts no recipe of its own');
    const r = await h.result(wid);
    assert.equal(r.status, 'completed', r.error);
    assert.equal(r.steps.find((s) => s.kind === 'wait_for')?.output, `received invoice.paid ${inv.paid.id}`);
    assert.deepEqual(
      r.logs.map((l) => l.message),
      [`invoice ${inv.invoiceId} was paid (${inv.paid.id}): no reminder needed`],
    );
    assert.equal(mailsFor(inv.number).length, 0);
  });

  test('a retry of the same failure (attempt 2) starts no second sequence', async () => {
    const inv = invoiceEvents();
    inv.failed.data.object.attempt_count = 2;
    const reply = await h.send('stripe', payloadFile(inv.failed));
    assert.deepEqual(reply.runs, []);
  });
});

describe('stripe-invoice-dunning, invoice.paid awaited for 3 s', () => {
  let h: RecipeHarness;
  before(async () => {
    h = await startRecipes({ recipes: recipeFiles(['stripe-invoice-dunning.yaml', { pay_within: '3s' }]), env, taskQueue });
  });
  after(async () => h?.stop());

  test('not paid in time → SMS now, the email with the payment link after the wait; paying another invoice does not count', async () => {
    const inv = invoiceEvents();
    const other = invoiceEvents();
    const smsBefore = twilio.messages.length;
    const wid = onlyRun(await h.send('stripe', payloadFile(inv.failed)), 'stripe-invoice-dunning');
    await until(() => twilio.messages.length > smsBefore, 'the SMS');
    const smsAt = Date.now();
    await h.send('stripe', payloadFile(other.paid));
    const r = await h.result(wid);
    assert.equal(r.status, 'completed', r.error);
    assert.match(r.steps.find((s) => s.kind === 'wait_for')?.output ?? '', /^timed out/);
    const mails = mailsFor(inv.number);
    assert.equal(mails.length, 1);
    assert.deepEqual(mails[0]!.to, ['jenny.rosen@example.com']);
    assert.equal(mails[0]!.subject, `Payment needed for invoice ${inv.number}`);
    assert.match(mails[0]!.text ?? '', /Hello Jenny Rosen,/);
    assert.match(mails[0]!.text ?? '', /We could not collect 49\.00 USD/);
    assert.match(mails[0]!.text ?? '', /https:\/\/invoice\.stripe\.com\/i\/acct_1032D82eZvKYlo2C\//);
    assert.ok(Date.now() - smsAt >= 2000, `the email came ${Date.now() - smsAt} ms after the SMS, before the 3 s wait was over`);
  });
});
