// The step interpreter, through the recording runtime of `hookflow test` (pure: no Temporal here;
// the same interpreter runs inside the workflow in the integration tests).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareExpectation, runRecipeTest, type Action } from '../../src/core/recipe-test.js';
import type { Json, Recipe, Step } from '../../src/core/types.js';

function recipe(steps: Step[], extra: Partial<Recipe> = {}): Recipe {
  return { name: 'r', on: { source: 'sendbird', event: 'group_channel:message_send' }, steps, ...extra };
}

const chat: Json = {
  app_id: 'APP',
  sender: { user_id: 'u1', nickname: 'Ann' },
  payload: { message: 'hello' },
  members: [
    { user_id: 'u1', metadata: { phone: '+100', email: 'ann@x.test' } },
    { user_id: 'u2', metadata: { phone: '+200', email: 'bob@x.test', fcm_token: 'tok-2' } },
    { user_id: 'u3', metadata: { phone: '+300', email: 'cy@x.test', fcm_token: 'tok-3' } },
  ],
};

async function run(steps: Step[], mocks: Record<string, Json> = {}, extra: Partial<Recipe> = {}, event: Json = chat) {
  return runRecipeTest(recipe(steps, extra), { name: 't', event, mocks, expect: [] });
}

describe('interpreter', () => {
  test('http params are rendered from the event; secrets stay references', async () => {
    const r = await run([
      {
        id: 'presence',
        http: {
          url: 'https://api-{{ event.app_id }}.example/v3/users/{{ event.sender.user_id }}',
          headers: { 'Api-Token': '{{ secret.SENDBIRD_API_TOKEN }}' },
        },
      },
    ]);
    assert.deepEqual(r.actions, [{ http: { url: 'https://api-APP.example/v3/users/u1', headers: { 'Api-Token': '{{ secret.SENDBIRD_API_TOKEN }}' } } }]);
    assert.equal(r.result.status, 'completed');
    assert.equal(r.result.steps[0]!.status, 'ok');
  });

  test('the spec example: push to online members, sms and email to the others', async () => {
    const steps: Step[] = [
      {
        for_each: 'event.members.filter(m, m.user_id != event.sender.user_id)',
        as: 'member',
        steps: [
          { id: 'presence', http: { url: 'https://x.example/users/{{ member.user_id }}' } },
          {
            if: 'steps.presence.body.is_online',
            then: [
              { push: { provider: 'fcm', to: '{{ member.metadata.fcm_token }}', title: '{{ event.sender.nickname }}', body: '{{ event.payload.message }}' } },
            ],
            else: [
              { sms: { to: '{{ member.metadata.phone }}', body: '{{ event.sender.nickname }}: {{ event.payload.message }}' } },
              { email: { to: '{{ member.metadata.email }}', subject: 'New message from {{ event.sender.nickname }}', text: '{{ event.payload.message }}' } },
            ],
          },
        ],
      },
    ];
    const r = await run(steps, {
      presence: [
        { status: 200, body: { is_online: true } },
        { status: 200, body: { is_online: false } },
      ],
    });
    assert.deepEqual(r.actions, [
      { http: { url: 'https://x.example/users/u2' } },
      { push: { provider: 'fcm', to: 'tok-2', title: 'Ann', body: 'hello' } },
      { http: { url: 'https://x.example/users/u3' } },
      { sms: { to: '+300', body: 'Ann: hello' } },
      { email: { to: 'cy@x.test', subject: 'New message from Ann', text: 'hello' } },
    ]);
  });

  test("for_each with an id records each iteration's results; concurrency keeps result order", async () => {
    const r = await run(
      [
        { id: 'each', for_each: '[1, 2, 3]', as: 'n', concurrency: 3, steps: [{ id: 'call', http: { url: 'https://x.example/{{ n }}' } }] },
        { set: { count: '{{ size(steps.each) }}', second: '{{ steps.each[1].call.status }}' } },
      ],
      { call: [{ status: 201 }, { status: 202 }, { status: 203 }] },
    );
    assert.equal(r.result.status, 'completed', r.result.error);
    assert.equal(r.actions.length, 3);
    assert.equal(r.result.vars.count, 3);
    // The second iteration's result, in list order whatever order the calls finished in.
    assert.equal(r.result.vars.second, 202);
  });

  test('inside for_each, `index` is the position in the list', async () => {
    const r = await run([{ for_each: '["a", "b"]', as: 'x', steps: [{ http: { url: 'https://x.example/{{ index }}/{{ x }}' } }] }]);
    assert.equal(r.result.status, 'completed', r.result.error);
    assert.deepEqual(r.actions, [{ http: { url: 'https://x.example/0/a' } }, { http: { url: 'https://x.example/1/b' } }]);
  });

  test("a mocked wait_for event still has to pass the step's match; one that does not is a timeout", async () => {
    const steps: Step[] = [{ id: 'read', wait_for: { event: 'read', match: 'event.message_id == 7', timeout: '5m' } }];
    const hit = await run(steps, { read: { message_id: 7 } });
    const miss = await run(steps, { read: { message_id: 8 } });
    assert.notEqual(hit.result.steps[0]!.output, miss.result.steps[0]!.output);
    assert.match(miss.result.steps[0]!.output ?? '', /timed out after 5m/);
    assert.match(hit.result.steps[0]!.output ?? '', /received read/);
  });

  test('set keeps types for whole-value templates; vars start from the recipe', async () => {
    const r = await run(
      [{ set: { who: '{{ event.sender }}', greeting: 'hi {{ event.sender.nickname }}', n: '{{ size(event.members) }}' } }],
      {},
      { vars: { team: 'ops' } },
    );
    assert.deepEqual(r.result.vars, { team: 'ops', who: { user_id: 'u1', nickname: 'Ann' }, greeting: 'hi Ann', n: 3 });
  });

  test('delay and wait_for: a mocked event arrives, a missing mock times out (null)', async () => {
    const r = await run(
      [
        { delay: '5m' },
        { id: 'read', wait_for: { event: 'group_channel:message_read', match: 'event.message_id == 7', timeout: '5m' } },
        { id: 'ack', wait_for: { source: 'pager', event: 'ack', timeout: '10m' } },
        { if: 'steps.read != null && steps.ack == null', then: [{ log: 'read, not acked' }], else: [{ fail: 'unexpected' }] },
      ],
      { read: { message_id: 7 } },
    );
    assert.equal(r.result.status, 'completed', r.result.error);
    assert.deepEqual(r.actions, [
      { delay: '5m' },
      { wait_for: { source: 'sendbird', event: 'group_channel:message_read' } },
      { wait_for: { source: 'pager', event: 'ack' } },
    ]);
    assert.equal(r.result.logs[0]!.message, 'read, not acked');
  });

  test('fail ends the run as failed with its message; later steps do not run', async () => {
    const r = await run([{ fail: 'no members for {{ event.app_id }}' }, { http: { url: 'https://x.example' } }]);
    assert.equal(r.result.status, 'failed');
    assert.equal(r.result.error, 'no members for APP');
    assert.equal(r.actions.length, 0);
  });

  test('a failed step fails the run unless continue_on_error; its error is in steps.<id>', async () => {
    const failing = await run([{ id: 'a', http: { url: 'https://x.example' } }, { log: 'after' }], { a: { $fail: '400 Bad Request' } });
    assert.equal(failing.result.status, 'failed');
    assert.match(failing.result.error ?? '', /step a \(http\) failed: 400 Bad Request/);
    assert.equal(failing.result.steps[0]!.status, 'failed');
    assert.equal(failing.result.steps[0]!.attempts, 5);

    const tolerant = await run([{ id: 'a', continue_on_error: true, http: { url: 'https://x.example' } }, { set: { err: '{{ steps.a.error }}' } }], {
      a: { $fail: '400 Bad Request' },
    });
    assert.equal(tolerant.result.status, 'completed');
    assert.equal(tolerant.result.vars.err, '400 Bad Request');
  });

  test('an expression error fails the run with a message naming the step', async () => {
    const r = await run([{ id: 'bad', if: 'event.nope.deeper == 1', then: [] }]);
    assert.equal(r.result.status, 'failed');
    assert.match(r.result.error ?? '', /bad/);
  });

  test('a test whose event the recipe filter rejects says why', async () => {
    const rec = recipe([{ log: 'x' }], { on: { source: 'sendbird', event: 'group_channel:message_send', if: 'event.payload.message != ""' } });
    const skipped = await runRecipeTest(rec, { name: 'empty', event: { payload: { message: '' } }, expect: { started: false } });
    assert.equal(skipped.passed, true, skipped.diff.join('\n'));
    const wrong = await runRecipeTest(rec, { name: 'empty', event: { payload: { message: '' } }, expect: [] });
    assert.equal(wrong.passed, false);
    assert.match(wrong.diff[0]!, /expected the recipe to start/);
  });
});

describe('compareExpectation', () => {
  const result = { recipe: 'r', event: { source: 's', type: 't', id: 'i' }, status: 'completed' as const, steps: [], logs: [], vars: { a: 1 } };
  const actions: Action[] = [{ sms: { to: '+1', body: 'hi' } }, { email: { to: 'a@x', subject: 's' } }];
  const table: Array<[string, Json, number]> = [
    ['exact subset passes', [{ sms: { to: '+1' } }, { email: { subject: 's' } }], 0],
    ['wrong value', [{ sms: { to: '+2' } }, { email: {} }], 1],
    ['missing action', [{ sms: {} }], 1],
    ['extra expected action', [{ sms: {} }, { email: {} }, { push: {} }], 1],
    ['wrong kind', [{ email: {} }, { email: {} }], 1],
    ['status and vars', { status: 'completed', vars: { a: 1 }, actions: [{ sms: {} }, { email: {} }] }, 0],
    ['wrong status', { status: 'failed' }, 1],
  ];
  for (const [name, expect, problems] of table) {
    test(name, () => assert.equal(compareExpectation(expect, actions, result).length, problems));
  }
});

describe('compareExpectation: a delay is compared as a duration, however it is written', () => {
  const result = { recipe: 'r', event: { source: 's', type: 't', id: 'i' }, status: 'completed' as const, steps: [], logs: [], vars: {} };
  const table: Array<[Json, string, number]> = [
    ['5m', '5m', 0],
    ['300s', '5m', 0],
    ['1h30m', '90m', 0],
    ['4m', '5m', 1],
    ['soon', '5m', 1],
  ];
  for (const [expected, taken, problems] of table) {
    test(`expected ${JSON.stringify(expected)}, taken ${taken}: ${problems} problem(s)`, () => {
      assert.equal(compareExpectation([{ delay: expected }], [{ delay: taken }], result).length, problems);
    });
  }
});

describe('respond, on_failure and schedules in `hookflow test`', () => {
  const sms: Recipe = { name: 'sms', on: { source: 'twilio', event: 'message.received' }, steps: [{ log: 'x' }] };

  test('respond without after: rendered from the event alone, text body with the given content-type', async () => {
    const rec: Recipe = { ...sms, respond: { headers: { 'Content-Type': 'text/xml' }, body: '<Response><Message>Hi {{ event.From }}</Message></Response>' } };
    const r = await runRecipeTest(rec, {
      name: 't',
      event: { From: '+100' },
      expect: { respond: { status: 200, headers: { 'content-type': 'text/xml' }, body: '<Response><Message>Hi +100</Message></Response>' } },
    });
    assert.equal(r.passed, true, r.diff.join('\n'));
    const wrong = await runRecipeTest(rec, { name: 't', event: { From: '+100' }, expect: { respond: { status: 201 } } });
    assert.deepEqual(wrong.diff, ['respond.status: expected 201, got 200']);
  });

  test("respond after a step: the step's result in a JSON body; the step failing (continue_on_error) still answers", async () => {
    const rec: Recipe = {
      ...sms,
      respond: { after: 'lookup', status: 201, body: { text: '{{ steps.lookup.body.text }}' }, fallback: { status: 202, body: 'later' } },
      steps: [{ id: 'lookup', continue_on_error: true, http: { url: 'https://api.example/x' } }, { log: 'done' }],
    };
    const ok = await runRecipeTest(rec, {
      name: 't',
      event: {},
      mocks: { lookup: { status: 200, ok: true, body: { text: 'sunny' } } },
      expect: { respond: { status: 201, body: '{"text":"sunny"}' } },
    });
    assert.equal(ok.passed, true, ok.diff.join('\n'));
    assert.equal(ok.response?.headers['content-type'], 'application/json; charset=utf-8');
  });

  test('respond after a step that fails the run: the fallback, saying why', async () => {
    const rec: Recipe = {
      ...sms,
      respond: { after: 'lookup', body: 'never', fallback: { status: 202, body: 'working on it' } },
      steps: [{ id: 'lookup', http: { url: 'https://api.example/x' } }],
    };
    const r = await runRecipeTest(rec, {
      name: 't',
      event: {},
      mocks: { lookup: { $fail: 'timeout' } },
      expect: { status: 'failed', respond: { status: 202, body: 'working on it' } },
    });
    assert.equal(r.passed, true, r.diff.join('\n'));
    assert.match(r.response?.fallback ?? '', /lookup/);
  });

  test('on_failure runs once the run has failed, seeing error; the run stays failed with its first error', async () => {
    const rec: Recipe = {
      ...sms,
      steps: [{ id: 'charge', http: { url: 'https://pay.example/charge' } }],
      on_failure: [
        { http: { method: 'POST', url: 'https://chat.example/alert', json: { text: '{{ error.step }} after {{ error.attempts }}: {{ error.message }}' } } },
        { fail: 'the alert failed too' },
      ],
    };
    const r = await runRecipeTest(rec, {
      name: 't',
      event: {},
      mocks: { charge: { $fail: 'card declined' } },
      expect: {
        status: 'failed',
        error: 'card declined',
        actions: [{ http: { url: 'https://pay.example/charge' } }, { http: { json: { text: 'charge after 5: card declined' } } }],
      },
    });
    assert.equal(r.passed, true, r.diff.join('\n'));
    assert.deepEqual(r.result.failure, { step: 'charge', message: 'card declined', attempts: 5 });
    assert.equal(r.result.on_failure_error, 'the alert failed too');
  });

  test('a schedule recipe is tested with its fire as the trigger', async () => {
    const rec: Recipe = {
      name: 'nightly',
      on: { source: 'schedule', event: 'fire', schedule: '0 2 * * *' },
      steps: [{ log: '{{ trigger.source }} {{ trigger.type }}' }],
    };
    const r = await runRecipeTest(rec, { name: 't', event: {}, expect: { status: 'completed' } });
    assert.equal(r.passed, true, r.diff.join('\n'));
    assert.equal(r.result.logs[0]?.message, 'schedule fire');
  });
});
