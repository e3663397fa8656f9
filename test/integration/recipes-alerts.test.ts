// examples/alert-escalation.yaml end to end: HMAC-signed alerts on the `monitoring` source of the
// shipped sources.yaml through `hookflow send`, a real Temporal server and the Twilio double —
// acknowledged at once, after one escalation, resolved mid-page, and by nobody.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { uniqueTaskQueue } from '../helpers/hookflow.js';
import { start as startTwilio, testCredentials, type TwilioServer } from '../helpers/twilio-server.js';
import { fixture, onlyRun, payloadFile, readJson, recipeFiles, startRecipes, until, type RecipeHarness } from './recipes-kit.js';

const ANA = '+15005550101';
const BEN = '+15005550102';
const CHLOE = '+15005550103';

let twilio: TwilioServer;
let env: Record<string, string>;
// The hookflows share a task queue: the monitoring mailbox (which routes ack/resolved to waiting
// runs) lives on the queue of the first one and must keep a worker after it stops.
const taskQueue = uniqueTaskQueue('alerts');

before(async () => {
  const creds = testCredentials();
  twilio = await startTwilio(creds);
  env = {
    MONITORING_WEBHOOK_SECRET: 'monitoring-hmac-secret-for-tests',
    TWILIO_ACCOUNT_SID: creds.accountSid,
    TWILIO_AUTH_TOKEN: creds.authToken,
    TWILIO_API_BASE_URL: twilio.url,
    TWILIO_FROM: '+15005550006',
  };
});
after(async () => twilio?.close());

let counter = 0;
/** firing / ack / resolved of this test's own alert. */
function alert(): { id: string; name: string; firing: string; ack: string; resolved: string } {
  const n = `${process.pid}-${++counter}`;
  const id = `alrt-e2e-${n}`;
  const name = `CheckoutLatencyHigh-${n}`;
  const make = (file: string): string => {
    const body = readJson(fixture('generic', file));
    body.alert.id = id;
    body.alert.name = name;
    return payloadFile(body);
  };
  return { id, name, firing: make('monitoring-firing.json'), ack: make('monitoring-ack.json'), resolved: make('monitoring-resolved.json') };
}

/** Who was texted about this alert, in order. */
const pagedAbout = (name: string) => twilio.messages.filter((m) => m.body.includes(name));

describe('alert-escalation, 15 s to acknowledge', () => {
  let h: RecipeHarness;
  before(async () => {
    h = await startRecipes({ recipes: recipeFiles(['alert-escalation.yaml', { ack_timeout: '15s' }]), env, taskQueue });
  });
  after(async () => h?.stop());

  test('the first person acknowledges: only they are paged', async () => {
    const a = alert();
    const wid = onlyRun(await h.send('monitoring', a.firing), 'alert-escalation');
    await until(() => pagedAbout(a.name).length === 1, 'the page to Ana');
    const page = pagedAbout(a.name)[0]!;
    assert.equal(page.to, ANA);
    assert.match(
      page.body,
      new RegExp(
        `^\\[critical\\] ${a.name} on checkout: p99 latency of POST /checkout above 2 s for 5 minutes\\. Acknowledge within 15s, or Ben is paged next\\. https://wiki\\.example\\.com/runbooks/checkout-latency$`,
      ),
    );
    const ack = await h.send('monitoring', a.ack);
    assert.equal(ack.event.type, 'ack');
    const r = await h.result(wid);
    assert.equal(r.status, 'completed', r.error);
    assert.deepEqual({ outcome: r.vars.outcome, by: r.vars.answered_while_paging }, { outcome: 'ack', by: 'Ana' });
    assert.deepEqual(
      pagedAbout(a.name).map((m) => m.to),
      [ANA],
    );
  });

  test('silence escalates to the next person; an ack for another alert does not count; their ack ends it', async () => {
    const a = alert();
    const other = alert();
    const wid = onlyRun(await h.send('monitoring', a.firing), 'alert-escalation');
    await until(() => pagedAbout(a.name).length === 1, 'the page to Ana');
    const anaAt = Date.now();
    await h.send('monitoring', other.ack);
    await until(() => pagedAbout(a.name).length === 2, 'the page to Ben', 60_000);
    const gap = Date.now() - anaAt;
    assert.ok(gap >= 13_000, `Ben was paged ${gap} ms after Ana, before her 15 s were up`);
    await h.send('monitoring', a.ack);
    const r = await h.result(wid);
    assert.equal(r.status, 'completed', r.error);
    assert.deepEqual(
      pagedAbout(a.name).map((m) => m.to),
      [ANA, BEN],
    );
    assert.equal(r.vars.answered_while_paging, 'Ben');
  });

  test('resolved while paging: the escalation stops and the person paged is told', async () => {
    const a = alert();
    const wid = onlyRun(await h.send('monitoring', a.firing), 'alert-escalation');
    await until(() => pagedAbout(a.name).length === 1, 'the page to Ana');
    await h.send('monitoring', a.resolved);
    const r = await h.result(wid);
    assert.equal(r.status, 'completed', r.error);
    const texts = pagedAbout(a.name);
    assert.deepEqual(
      texts.map((m) => m.to),
      [ANA, ANA],
    );
    assert.equal(texts[1]!.body, `RESOLVED: ${a.name} on checkout. No action needed.`);
    assert.equal(r.vars.outcome, 'resolved');
  });

  test('a warning pages nobody', async () => {
    const a = alert();
    const body = readJson(a.firing);
    body.alert.severity = 'warning';
    const reply = await h.send('monitoring', payloadFile(body));
    assert.equal(reply.event.type, 'firing');
    assert.deepEqual(reply.runs, []);
  });
});

describe('alert-escalation, 2 s to acknowledge', () => {
  let h: RecipeHarness;
  before(async () => {
    h = await startRecipes({ recipes: recipeFiles(['alert-escalation.yaml', { ack_timeout: '2s' }]), env, taskQueue });
  });
  after(async () => h?.stop());

  test('nobody acknowledges: everyone is paged in order, then the run fails saying so', async () => {
    const a = alert();
    const wid = onlyRun(await h.send('monitoring', a.firing), 'alert-escalation');
    const r = await h.result(wid);
    assert.equal(r.status, 'failed');
    assert.equal(r.error, `nobody acknowledged ${a.name} (${a.id}) after paging Ana, Ben, Chloe`);
    const pages = pagedAbout(a.name);
    assert.deepEqual(
      pages.map((m) => m.to),
      [ANA, BEN, CHLOE],
    );
    assert.match(pages[1]!.body, /Acknowledge within 2s, or Chloe is paged next\./);
    assert.match(pages[2]!.body, /Acknowledge within 2s; you are the last on call\./);
    assert.equal(r.steps.filter((s) => s.kind === 'wait_for' && /^timed out/.test(s.output ?? '')).length, 3);
  });
});
