// Flow control's pure parts: settings and keys, the status line the Temporal UI shows, `hookflow test`
// feeding several events (a debounced burst, batches, one run per event), and the loader's view of a
// valid flow-controlled recipe with its tests.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeFlow, flowKeyOf, flowSettings, hasFlowControl, runOf, type FlowArrival } from '../../src/core/flow.js';
import { runRecipeTest } from '../../src/core/recipe-test.js';
import type { Recipe, TriggerEvent } from '../../src/core/types.js';
import { checkRecipeText } from '../../src/recipes/load.js';

const base: Recipe = { name: 'r', on: { source: 'app', event: 'chat' }, steps: [{ sms: { to: '+100', body: '{{ events.map(e, e.text).join(", ") }}' } }] };

function ev(id: string, body: Record<string, unknown>): TriggerEvent {
  return { source: 'app', type: 'chat', id, received_at: '2026-01-01T00:00:00Z', body: body as never, headers: { 'x-tenant': 'acme' }, query: {} };
}

describe('flow settings and keys', () => {
  test('settings resolve durations and the throttle spacing', () => {
    assert.equal(hasFlowControl(base), false);
    assert.deepEqual(flowSettings({ ...base, throttle: { limit: 10, period: '1m' } }), { spacingMs: 6_000 });
    assert.deepEqual(flowSettings({ ...base, debounce: { key: 'event.c', period: '5m', max_wait: '30m' }, concurrency: { key: 'event.c', limit: 1 } }), {
      key: 'event.c',
      concurrency: 1,
      debounce: { periodMs: 300_000, maxWaitMs: 1_800_000 },
    });
    assert.deepEqual(flowSettings({ ...base, batch: { size: 50, timeout: '5m' } }), { batch: { size: 50, timeoutMs: 300_000 } });
  });

  test('keys: CEL over the event; strings as they are, other values as JSON; none → one key', () => {
    assert.equal(flowKeyOf({ ...base, concurrency: { limit: 1 } }, ev('1', { c: 'x' })), '');
    assert.equal(flowKeyOf({ ...base, concurrency: { limit: 1, key: 'event.c' } }, ev('1', { c: 'x' })), 'x');
    assert.equal(flowKeyOf({ ...base, concurrency: { limit: 1, key: 'event.n' } }, ev('1', { n: 7 })), '7');
    assert.equal(flowKeyOf({ ...base, concurrency: { limit: 1, key: 'headers["x-tenant"] + "/" + trigger.type' } }, ev('1', {})), 'acme/chat');
    assert.throws(
      () => flowKeyOf({ ...base, concurrency: { limit: 1, key: 'event.missing.deeper' } }, ev('1', {})),
      /cannot evaluate `event\.missing\.deeper`: No such key: missing/,
    );
  });

  test("a group becomes one run: the first event's workflow id, the last event, every event in order", () => {
    const a = (id: string): FlowArrival => ({ recipe: base, event: ev(id, { text: id }), workflowId: `r/app/${id}` });
    const run = runOf([a('1'), a('2'), a('3')]);
    assert.equal(run.workflowId, 'r/app/1');
    assert.equal(run.event.id, '3');
    assert.deepEqual(
      run.events?.map((e) => e.id),
      ['1', '2', '3'],
    );
  });

  test('the status line says what the entity is doing', () => {
    const s = { group: [], queue: [], seen: [], started: [], startedTotal: 0 };
    const arrival = { recipe: base, event: ev('1', {}), workflowId: 'w' };
    assert.equal(describeFlow({ batch: { size: 3, timeoutMs: 1 } }, { ...s, group: [arrival, arrival] }, 0), 'batching 2/3');
    assert.equal(describeFlow({ debounce: { periodMs: 1 } }, { ...s, group: [arrival] }, 0), 'debouncing 1 event');
    assert.equal(describeFlow({ concurrency: 1 }, { ...s, queue: [arrival, arrival] }, 1), 'waiting: 2 queued, 1 running');
    assert.equal(describeFlow({ concurrency: 1 }, s, 0), 'idle');
  });
});

describe('hookflow test with several events', () => {
  const texts = [{ text: 'a' }, { text: 'b' }, { text: 'c' }, { text: 'd' }, { text: 'e' }];

  test('debounce: one run sees every event, the last as `event`', async () => {
    const r = await runRecipeTest({ ...base, debounce: { period: '1m' } }, { name: 't', events: texts, expect: [{ sms: { body: 'a, b, c, d, e' } }] });
    assert.deepEqual(r.diff, []);
    assert.equal(r.result.event.id, 'test-delivery-5');
  });

  test('batch of 2: runs of 2, 2 and 1', async () => {
    const r = await runRecipeTest(
      { ...base, batch: { size: 2, timeout: '1m' } },
      { name: 't', events: texts, expect: [{ sms: { body: 'a, b' } }, { sms: { body: 'c, d' } }, { sms: { body: 'e' } }] },
    );
    assert.deepEqual(r.diff, []);
  });

  test('concurrency: one run per event, in order; events the filter refuses start nothing', async () => {
    const rec: Recipe = {
      ...base,
      on: { ...base.on, if: 'event.text != "c"' },
      concurrency: { limit: 1 },
      steps: [{ sms: { to: '+100', body: '{{ event.text }}' } }],
    };
    const r = await runRecipeTest(rec, { name: 't', events: texts, expect: ['a', 'b', 'd', 'e'].map((body) => ({ sms: { body } })) });
    assert.deepEqual(r.diff, []);
    const wrong = await runRecipeTest(rec, { name: 't', events: texts, expect: [{ sms: { body: 'a' } }] });
    assert.equal(wrong.passed, false);
  });
});

test('the loader takes a valid flow-controlled recipe, with `events` in its steps and tests with several events', () => {
  const { recipe, problems } = checkRecipeText(
    'digest.yaml',
    `name: digest
on: { source: sendbird, event: "group_channel:message_send" }
debounce: { key: event.channel.channel_url, period: 5m, max_wait: 30m }
concurrency: { key: event.channel.channel_url, limit: 1 }
steps:
  - log: "{{ events.size() }} messages"
tests:
  - name: burst
    events: [{ channel: { channel_url: c } }, { channel: { channel_url: c } }]
    expect: []
`,
  );
  assert.deepEqual(problems, []);
  assert.equal(recipe?.debounce?.period, '5m');
  const both = checkRecipeText(
    't.yaml',
    `name: t\non: { source: slack, event: message }\nsteps: [{ log: hi }]\ntests:\n  - { name: x, event: {}, events: [{}], expect: [] }\n  - { name: y, expect: [] }\n`,
  );
  assert.deepEqual(
    both.problems.map((p) => `${p.line}:${p.col} ${p.message.slice(0, 30)}`),
    ['5:27 a test feeds `event` or `event', '6:5 a test needs `event` (one webh'],
  );
});
