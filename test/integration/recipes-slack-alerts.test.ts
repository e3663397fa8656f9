// examples/slack-weather-command.yaml and examples/run-failed-alert.yaml end to end, on a real
// Temporal server: a Slack-signed slash command is acknowledged in the webhook's answer and the
// forecast is posted to its response_url later; a run that fails for good is posted to the alert
// channel and mailed to the people on call, through the built-in `run.failed` event.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';
import { start as startSmtp, type TestSmtpServer } from '../helpers/smtp-server.js';
import { fixture, payloadFile, recipeFiles, startRecipes, type RecipeHarness } from './recipes-kit.js';

describe('slack-weather-command and run-failed-alert', () => {
  let api: HttpSink;
  let smtp: TestSmtpServer;
  let h: RecipeHarness;

  before(async () => {
    api = await startSink({
      fallback: (req) => {
        if (req.path === '/forecast')
          return req.query.get('zip') === '00000'
            ? { status: 404, body: { error: 'no such zip' } }
            : { status: 200, body: { summary: `Sunny at ${req.query.get('zip')}` } };
        return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
      },
    });
    smtp = await startSmtp();
    h = await startRecipes({
      recipes: recipeFiles('slack-weather-command.yaml', [
        'run-failed-alert.yaml',
        { on_call_email: 'ops@example.test', temporal_ui: 'http://ui.test/workflows' },
      ]),
      env: {
        SLACK_WEBHOOK_SECRET: 'slack-signing-secret-for-tests',
        HOOKFLOW_SECRET_WEATHER_API_URL: api.url,
        HOOKFLOW_SECRET_SLACK_ALERT_URL: `${api.url}/services/alerts`,
        SMTP_URL: smtp.url,
      },
    });
  });
  after(async () => {
    await h?.stop();
    await Promise.all([api?.close(), smtp?.close()]);
  });

  /** Slack's sample slash command, with another zip code and its response_url pointed at the sink. */
  function command(zip: string, triggerId: string): string {
    const form = new URLSearchParams(readFileSync(fixture('providers', 'slack', 'slash-command.form'), 'utf8'));
    form.set('text', zip);
    form.set('trigger_id', triggerId);
    form.set('response_url', `${api.url}/commands/1234/${triggerId}`);
    return payloadFile(form.toString(), 'form');
  }

  test('/weather is acknowledged in the answer, then the forecast is posted to response_url', async () => {
    const reply = await h.sendRaw('slack', command('94070', 'trig-1'));
    assert.match(reply.status, /^200 /);
    assert.deepEqual(JSON.parse(reply.body), { response_type: 'ephemeral', text: 'Looking up the weather for 94070…' });
    const posted = await eventually(() => api.requests.find((r) => r.path === '/commands/1234/trig-1'), 30_000, 'the forecast at response_url');
    assert.deepEqual(JSON.parse(posted.body), { response_type: 'in_channel', text: 'Weather for 94070: Sunny at 94070' });
  });

  test('a command whose lookup fails for good: the run fails, and the alert recipe posts it and mails it', async () => {
    const reply = await h.sendRaw('slack', command('00000', 'trig-2'));
    assert.match(reply.status, /^200 /, 'the sender is answered whatever the run does later');
    const alert = await eventually(() => api.requests.find((r) => r.path === '/services/alerts'), 60_000, 'the alert in Slack');
    const text = (JSON.parse(alert.body) as { text: string }).text;
    assert.match(
      text,
      /^:rotating_light: <http:\/\/ui\.test\/workflows\/slack-weather-command%2Fslack%2Ftrig-2\|slack-weather-command failed at step forecast after 1 attempt\(s\): .*404/,
    );
    const mail = await eventually(() => smtp.messages.find((m) => m.subject === 'hookflow: slack-weather-command failed'), 30_000, 'the alert email');
    assert.deepEqual(mail.to, ['ops@example.test']);
    assert.match(mail.text ?? '', /Run: slack-weather-command\/slack\/trig-2/);
    assert.equal(api.requests.filter((r) => r.path === '/commands/1234/trig-2').length, 0, 'no forecast was posted');
  });
});
