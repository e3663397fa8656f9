// HOOKFLOW_OUTBOUND_RATE on a real Temporal server: http steps to a limited host run on that host's
// task queue, rate-limited by the server for every worker process together (three here); the steps
// over the limit wait, none fails, all are delivered.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunResult } from '../../src/core/types.js';
import { parseOutboundRates } from '../../src/core/outbound-rates.js';
import { postJson, resultOf, startTestHookflow, uniqueTaskQueue, unsignedSource } from '../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';

type Hf = Awaited<ReturnType<typeof startTestHookflow>>;
const STEPS = 30;
const RATE = 5;

test('HOOKFLOW_OUTBOUND_RATE: host=rate pairs; a wrong entry is named', () => {
  assert.deepEqual(parseOutboundRates('api.example.com=5/s, Hooks.Slack.com=30/m'), [
    { host: 'api.example.com', perSecond: 5, text: '5/s' },
    { host: 'hooks.slack.com', perSecond: 0.5, text: '30/m' },
  ]);
  assert.deepEqual(parseOutboundRates(undefined), []);
  assert.throws(() => parseOutboundRates('api.example.com=5'), /"api\.example\.com=5" is not host=rate/);
  assert.throws(() => parseOutboundRates('a.com=1/s,a.com=2/s'), /a\.com is listed twice/);
});

describe('outbound rate limit per host across worker processes (real Temporal)', () => {
  let sink: HttpSink;
  const hfs: Hf[] = [];
  before(async () => {
    sink = await startSink();
    const taskQueue = uniqueTaskQueue('rate');
    const recipes = {
      'sources.yaml': unsignedSource('app'),
      'fan.yaml': `
name: fan
on: { source: app, event: fan }
steps:
  - id: calls
    for_each: event.items
    concurrency: ${STEPS}
    steps:
      - http: { method: POST, url: "{{ event.base }}/item/{{ item }}" }
`,
    };
    const env = { HOOKFLOW_OUTBOUND_RATE: `127.0.0.1=${RATE}/s` };
    hfs.push(await startTestHookflow({ recipes, env, taskQueue }));
    for (let i = 0; i < 2; i++) hfs.push(await startTestHookflow({ recipes, env, taskQueue, roles: { ingress: false, worker: true } }));
  });
  after(async () => {
    for (const hf of hfs) await hf.stop();
    await sink?.close();
  });

  test(`${STEPS} steps at ${RATE}/s: all delivered, at the declared rate plus Temporal's burst`, async () => {
    const items = Array.from({ length: STEPS }, (_, i) => i);
    const res = await postJson(`${hfs[0]!.url}/hooks/app`, { type: 'fan', id: 'f-1', base: sink.url, items });
    assert.equal(res.status, 200);
    const r = await resultOf<RunResult>(hfs[0]!.client!.client, 'fan/app/f-1', 60_000);
    assert.equal(r.status, 'completed', r.error);
    const got = sink.requests.filter((q) => q.path.startsWith('/item/'));
    assert.deepEqual(
      got.map((q) => Number(q.path.split('/')[2])).sort((a, b) => a - b),
      items,
      'each step delivered once',
    );
    // Temporal's limiter is a token bucket per task-queue partition (4 by default): the rate holds
    // across every worker, with a burst of about one second's worth on top. So in any window of t
    // seconds the sink sees at most rate·t plus that burst (never all 30 at once).
    const times = got.map((q) => q.receivedAt).sort((a, b) => a - b);
    const burst = 2 * RATE;
    for (let i = 0; i < times.length; i++) {
      for (let j = i; j < times.length; j++) {
        const seconds = Math.max(1, Math.ceil((times[j]! - times[i]!) / 1000));
        assert.ok(j - i + 1 <= RATE * seconds + burst, `${j - i + 1} requests within ${seconds} s (offsets ${times.map((x) => x - times[0]!).join(' ')})`);
      }
    }
  });
});
