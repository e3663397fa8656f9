// examples/order-fanout.yaml end to end: a Standard-Webhooks-signed order.created from our own
// backend (the `platform` source of the shipped sources.yaml) through `hookflow send` and a real
// Temporal server, relayed signed to three subscribers of which one is down for good.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';
import { fixture, onlyRun, readJson, recipeFiles, startRecipes, type RecipeHarness } from './recipes-kit.js';

const SIGNING_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

describe('order-fanout', () => {
  let sink: HttpSink;
  let h: RecipeHarness;

  before(async () => {
    sink = await startSink({
      fallback: (req) => {
        if (req.path === '/b') return { status: 503, body: 'upstream unavailable' };
        if (req.path === '/c') return { status: 202, delayMs: 300 };
        return { status: 200, body: { received: true } };
      },
    });
    const subscribers = [
      { name: 'acme-erp', url: `${sink.url}/a` },
      { name: 'beta-analytics', url: `${sink.url}/b` },
      { name: 'gamma-shipping', url: `${sink.url}/c` },
    ];
    // The shipped policy retries for about an hour and a half; three quick attempts show the same thing.
    const quickRetry: [Array<string | number>, unknown] = [['steps', 0, 'steps', 0, 'retry'], { attempts: 3, initial: '3s', factor: 2, max: '10s' }];
    h = await startRecipes({
      recipes: recipeFiles(['order-fanout.yaml', { subscribers }, [quickRetry]]),
      env: {
        PLATFORM_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
        HOOKFLOW_SECRET_PLATFORM_SIGNING_SECRET: SIGNING_SECRET,
      },
    });
  });
  after(async () => {
    await h?.stop();
    await sink?.close();
  });

  test('every subscriber gets the event signed; the dead one is retried alone and listed, delaying no one', async () => {
    const file = fixture('standard-webhooks', 'order.created.json');
    const reply = await h.send('platform', file);
    assert.equal(reply.event.type, 'order.created');
    const wid = onlyRun(reply, 'order-fanout');
    const r = await h.result(wid);
    assert.equal(r.status, 'completed', r.error);

    const at = (p: string) => sink.requests.filter((q) => q.path === p);
    assert.equal(at('/a').length, 1);
    assert.equal(at('/c').length, 1);
    assert.equal(at('/b').length, 3, 'the dead subscriber got its three attempts');

    // Side by side: the healthy ones were delivered before the dead one's first retry (3 s after its first try).
    const secondB = at('/b')[1]!.receivedAt;
    for (const p of ['/a', '/c']) assert.ok(at(p)[0]!.receivedAt < secondB, `${p} waited for the dead subscriber's retries`);

    // Each delivery verifies as a Standard Webhook and carries the event as the backend sent it.
    const sent = readJson(file);
    const wh = new Webhook(SIGNING_SECRET);
    for (const [i, p] of (['/a', '/b', '/c'] as const).entries()) {
      for (const req of at(p)) {
        const payload = wh.verify(req.body, req.headers);
        assert.deepEqual(payload, sent);
        assert.equal(req.headers['webhook-id'], `${wid}/deliver[${i}].post`, 'a retry is the same message: same webhook-id');
        assert.equal(req.headers['content-type'], 'application/json');
      }
    }
    // Refused for its signature, not for a missing header or a stale timestamp.
    assert.throws(
      () => new Webhook(`whsec_${randomBytes(24).toString('base64')}`).verify(at('/a')[0]!.body, at('/a')[0]!.headers),
      /No matching signature found/,
    );

    assert.deepEqual(r.vars.undelivered, ['beta-analytics']);
    assert.equal(r.logs.length, 1);
    assert.equal(r.logs[0]!.level, 'warn');
    assert.equal(r.logs[0]!.message, 'order.created ord_8Kd2mQ not delivered to beta-analytics');
    assert.match(JSON.stringify(r.logs[0]!.fields), /503/);
  });
});
