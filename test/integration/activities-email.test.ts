// The email activity against a real SMTP server on loopback.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import type { EmailParams, OutboundInput, SecretField } from '../../src/core/types.js';
import * as smtpServer from '../helpers/smtp-server.js';
import { failureOf, retryable, run } from '../helpers/activity.js';

function activityEnv(attempt = 1): MockActivityEnvironment {
  return new MockActivityEnvironment({ attempt, startToCloseTimeoutMs: 10_000 }, { logger: new DefaultLogger('ERROR') });
}

function input(params: EmailParams, secretFields: SecretField[] = []): OutboundInput<EmailParams> {
  return { workflowId: 'welcome/shop/order-1', stepPath: 'steps[3]', params, secretFields };
}

describe('email activity', () => {
  let smtp: smtpServer.TestSmtpServer;

  before(async () => {
    smtp = await smtpServer.start({
      auth: { user: 'mailer', pass: 'p@ss word' },
      rejectRecipients: ['nobody@example.com'],
      deferRecipients: ['busy@example.com'],
    });
  });
  after(async () => {
    await smtp.close();
  });

  test('delivers to, cc, bcc with subject, text and html; the server saw all of it', async () => {
    const acts = createActivities({ env: { SMTP_URL: smtp.url, HOOKFLOW_EMAIL_FROM: 'Hookflow <alerts@hookflow.example>' } });
    const result = await run(
      activityEnv(),
      acts.email,
      input({
        to: ['ann@example.com', 'bob@example.com'],
        cc: 'carol@example.com',
        bcc: ['dave@example.com'],
        reply_to: 'support@example.com',
        subject: 'Order #1 shipped — ünïcode',
        text: 'Your order is on its way.',
        html: '<p>Your order is <b>on its way</b>.</p>',
      }),
    );
    const [mail] = await smtp.waitForMessages(1);
    assert.ok(mail);
    assert.equal(mail.subject, 'Order #1 shipped — ünïcode');
    assert.equal(mail.text?.trim(), 'Your order is on its way.');
    assert.equal(mail.html?.trim(), '<p>Your order is <b>on its way</b>.</p>');
    assert.deepEqual(mail.to, ['ann@example.com', 'bob@example.com']);
    assert.deepEqual(mail.cc, ['carol@example.com']);
    assert.deepEqual(mail.from, ['alerts@hookflow.example']);
    assert.deepEqual(mail.replyTo, ['support@example.com']);
    // bcc travels only in the envelope.
    assert.deepEqual(mail.envelope.to.sort(), ['ann@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com']);
    assert.ok(!mail.raw.includes('dave@example.com'));
    assert.equal(mail.user, 'mailer');
    assert.equal(result.message_id, mail.messageId);
    assert.match(result.message_id, /^<[\w-]+@hookflow\.example>$/);
    assert.deepEqual(result.accepted.sort(), ['ann@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com']);
    assert.deepEqual(result.rejected, []);
  });

  test('default sender is hookflow@localhost; a retry reuses the Message-ID; a secret fills the body', async () => {
    const acts = createActivities({ env: { SMTP_URL: smtp.url, HOOKFLOW_SECRET_CODE: 'otp-998877' } });
    const count = smtp.messages.length;
    const params: EmailParams = { to: 'eve@example.com', subject: 'Your code', text: '' };
    const fields: SecretField[] = [{ path: ['text'], parts: ['Code: ', { secret: 'CODE' }] }];
    const first = await run(activityEnv(1), acts.email, input(params, fields));
    const second = await run(activityEnv(2), acts.email, input(params, fields));
    const mails = await smtp.waitForMessages(count + 2);
    const [a, b] = mails.slice(count);
    assert.ok(a && b);
    assert.deepEqual(a.from, ['hookflow@localhost']);
    assert.equal(a.text?.trim(), 'Code: otp-998877');
    assert.equal(first.message_id, second.message_id);
    assert.equal(a.messageId, b.messageId);
    assert.ok(!JSON.stringify(first).includes('otp-998877'));
  });

  test('one rejected recipient among good ones: sent, and reported in rejected', async () => {
    const acts = createActivities({ env: { SMTP_URL: smtp.url } });
    const result = await run(activityEnv(), acts.email, input({ to: ['ok@example.com', 'nobody@example.com'], subject: 's', text: 't' }));
    assert.deepEqual(result.accepted, ['ok@example.com']);
    assert.deepEqual(result.rejected, ['nobody@example.com']);
  });

  test('SMTP 550 for the only recipient is non-retryable EmailRejected', async () => {
    const acts = createActivities({ env: { SMTP_URL: smtp.url } });
    const failure = await failureOf(run(activityEnv(), acts.email, input({ to: 'nobody@example.com', subject: 's', text: 't' })));
    assert.equal(failure.type, 'EmailRejected');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /550/);
    assert.match(failure.message, /nobody@example\.com/);
  });

  test('SMTP 451 is retryable', async () => {
    const acts = createActivities({ env: { SMTP_URL: smtp.url } });
    const failure = await failureOf(run(activityEnv(), acts.email, input({ to: 'busy@example.com', subject: 's', text: 't' })));
    assert.equal(failure.type, 'EmailTemporaryFailure');
    assert.equal(retryable(failure), true);
    assert.match(failure.message, /451/);
  });

  test('wrong SMTP password (535) is non-retryable', async () => {
    const url = smtp.url.replace(encodeURIComponent('p@ss word'), 'wrong');
    const acts = createActivities({ env: { SMTP_URL: url } });
    const failure = await failureOf(run(activityEnv(), acts.email, input({ to: 'ann@example.com', subject: 's', text: 't' })));
    assert.equal(failure.type, 'EmailRejected');
    assert.match(failure.message, /535/);
  });

  test('no SMTP server listening is retryable', async () => {
    const gone = await smtpServer.start();
    await gone.close();
    const acts = createActivities({ env: { SMTP_URL: gone.url } });
    const failure = await failureOf(run(activityEnv(), acts.email, input({ to: 'ann@example.com', subject: 's', text: 't' })));
    assert.equal(failure.type, 'EmailTemporaryFailure');
    assert.equal(retryable(failure), true);
    assert.match(failure.message, /ECONNREFUSED/);
  });

  test('SMTP_URL missing is a non-retryable ConfigurationError naming it', async () => {
    const acts = createActivities({ env: {} });
    const failure = await failureOf(run(activityEnv(), acts.email, input({ to: 'ann@example.com', subject: 's', text: 't' })));
    assert.equal(failure.type, 'ConfigurationError');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /SMTP_URL/);
  });

  test('no recipients at all is non-retryable', async () => {
    const acts = createActivities({ env: { SMTP_URL: smtp.url } });
    const failure = await failureOf(run(activityEnv(), acts.email, input({ to: ['', ' '], subject: 's', text: 't' })));
    assert.equal(failure.type, 'EmailRejected');
    assert.match(failure.message, /no recipient/);
  });

  test('one string is one address: "a@x, b@y" in to (or a list entry) is refused before anything is sent; a list sends to each', async () => {
    const acts = createActivities({ env: { SMTP_URL: smtp.url } });
    const before = smtp.messages.length;
    for (const params of [
      { to: 'ann@example.com, attacker@evil.example', subject: 's' },
      { to: ['ann@example.com', 'bob@example.com; eve@evil.example'], subject: 's' },
      { to: 'ann@example.com', from: 'a@example.com, b@example.com', subject: 's' },
    ] as EmailParams[]) {
      const failure = await failureOf(run(activityEnv(), acts.email, input(params)));
      assert.equal(failure.type, 'InvalidParams', JSON.stringify(params));
      assert.equal(failure.nonRetryable, true);
      assert.match(failure.message, /holds \d addresses .*give a list/);
    }
    assert.equal(smtp.messages.length, before, 'nothing was sent');
    await run(activityEnv(), acts.email, input({ to: ['ann@example.com', 'bob@example.com'], cc: '"Doe, John" <j@example.com>', subject: 'two' }));
    const [mail] = (await smtp.waitForMessages(before + 1)).slice(before);
    assert.deepEqual(mail!.envelope.to.sort(), ['ann@example.com', 'bob@example.com', 'j@example.com']);
  });
});
