import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpression, evaluateExpression, ExprError, isTruthy } from '../../../src/core/expr.js';
import type { Json } from '../../../src/core/types.js';

// Context shaped like JSON.parse output: every number is a JS number.
const ctx = {
  event: {
    count: 5,
    price: 2.5,
    app_id: 'ABC',
    payload: { message: 'hello' },
    empty: '',
    sender: { user_id: 'u1', nickname: 'Ann' },
    members: [
      { user_id: 'u1', nickname: 'Ann' },
      { user_id: 'u2', nickname: 'Bob' },
      { user_id: 'u3', nickname: 'Cy' },
    ],
    labels: { prio: 'high' },
    nothing: null,
  },
  headers: { 'x-request-id': 'req-42' },
  steps: { presence: { body: { is_online: true } } },
  body: { alert: { status: 'firing' } },
  trigger: { received_at: '2024-05-01T10:00:00Z' },
};

const cases: Array<[string, Json]> = [
  ['event.payload.message != ""', true],
  ['event.empty != ""', false],
  [
    'event.members.filter(m, m.user_id != event.sender.user_id)',
    [
      { user_id: 'u2', nickname: 'Bob' },
      { user_id: 'u3', nickname: 'Cy' },
    ],
  ],
  ['event.members.map(m, m.nickname)', ['Ann', 'Bob', 'Cy']],
  ['steps.presence.body.is_online', true],
  ['body.alert.status', 'firing'],
  ['headers["x-request-id"]', 'req-42'],
  // JSON numbers against integer literals
  ['event.count > 3', true],
  ['event.count == 5', true],
  ['event.count == 5.0', true],
  ['event.count < 5', false],
  ['event.count + 1', 6],
  ['event.count * 2', 10],
  ['event.count - 10', -5],
  ['event.count % 2', 1],
  ['event.count / 2', 2.5],
  ['1 + event.price', 3.5],
  ['event.count in [4, 5, 6]', true],
  ['size(event.members) == 3', true],
  ['size(event.members) + event.count', 8],
  ['event.members[1].nickname', 'Bob'],
  ['7 / 2', 3],
  // maps and missing keys
  ['has(event.payload.message)', true],
  ['has(event.payload.nope)', false],
  ['"prio" in event.labels', true],
  ['event.labels["prio"]', 'high'],
  ['event.nothing == null', true],
  ['event.?nope.orValue("fallback")', 'fallback'],
  ['event.?nope', null],
  ['{"a": 1, "b": [true, "x", 2.5]}', { a: 1, b: [true, 'x', 2.5] }],
  // results come back as plain JSON
  ['timestamp(trigger.received_at)', '2024-05-01T10:00:00.000Z'],
  ['timestamp(trigger.received_at) + duration("1h")', '2024-05-01T11:00:00.000Z'],
  ['duration("90m")', '5400s'],
  ['b"hi"', 'aGk='],
  ['type(1)', 'int'],
  ['3u', 3],
  ['9223372036854775807', '9223372036854775807'],
  ['1.0 / 0.0', 'Infinity'],
  ['event.sender.nickname + " says hi"', 'Ann says hi'],
  ['string(event.count)', '5'],
  ['event.count > 3 ? "big" : "small"', 'big'],
  ['cel.bind(n, event.count, n * n)', 25],
];

for (const [src, want] of cases) {
  test(`evaluates ${src}`, () => {
    assert.deepEqual(evaluateExpression(src, ctx), want);
  });
}

const compileErrors: Array<[string, string, number]> = [
  ['event.count >', 'Unexpected token', 13],
  ['"a" + 1', 'no such overload', 0],
  ['nope(1)', "no matching overload for 'nope(int)'", 0],
  ['', 'empty expression', 0],
  ['secret.TOKEN == ""', 'secret', 0],
  ['event.x + secret.TOKEN', 'whole template interpolation', 10],
];
for (const [src, fragment, offset] of compileErrors) {
  test(`rejects at compile time: ${JSON.stringify(src)}`, () => {
    assert.throws(
      () => compileExpression(src),
      (e: unknown) => {
        assert.ok(e instanceof ExprError, 'is ExprError');
        assert.match(e.message, new RegExp(fragment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
        assert.equal(e.offset, offset);
        return true;
      },
    );
  });
}

test('evaluation errors are ExprError with the offset of the failing part', () => {
  assert.throws(
    () => evaluateExpression('event.payload.nope == "x"', ctx),
    (e: unknown) => {
      assert.ok(e instanceof ExprError);
      assert.match(e.message, /nope/);
      assert.equal(e.offset, 14);
      return true;
    },
  );
  // Integer division by zero is an error; a JSON number is a double, so that gives Infinity as in CEL.
  assert.equal(evaluateExpression('event.count / 0', { event: { count: 1 } }), 'Infinity');
  assert.throws(() => evaluateExpression('1 / 0', {}), /division by zero/);
});

test('compiled expressions are cached by source and list their variables and step references', () => {
  const a = compileExpression('steps.presence.body.is_online && steps["lookup"].ok && has(steps.other.x)');
  assert.equal(compileExpression('steps.presence.body.is_online && steps["lookup"].ok && has(steps.other.x)'), a);
  assert.deepEqual(
    a.stepRefs.map((r) => [r.id, r.offset]),
    [
      ['presence', 0],
      ['lookup', 33],
      ['other', 59],
    ],
  );
  assert.deepEqual([...a.variables], ['steps']);
  const b = compileExpression('event.members.filter(m, m.id != member.id).exists(steps, steps.ok)');
  assert.deepEqual([...b.variables].sort(), ['event', 'member']);
  assert.deepEqual(b.stepRefs, []);
});

test('a macro variable named secret is not the secret namespace', () => {
  assert.deepEqual(evaluateExpression('event.xs.map(secret, secret.v)', { event: { xs: [{ v: 1 }] } }), [1]);
});

test('prototype properties of the context are not reachable', () => {
  assert.equal(evaluateExpression('has(event.constructor)', { event: {} }), false);
  assert.throws(() => evaluateExpression('event.__proto__', { event: {} }), ExprError);
});

const truthy: Array<[Json, boolean]> = [
  [true, true],
  [false, false],
  [null, false],
  [0, false],
  [1, true],
  [-0.5, true],
  ['', false],
  ['false', true],
  [[], false],
  [[0], true],
  [{}, false],
  [{ a: null }, true],
];
for (const [v, want] of truthy) {
  test(`isTruthy(${JSON.stringify(v)}) is ${want}`, () => assert.equal(isTruthy(v), want));
}

test('CEL reads own properties only: a polluted Object.prototype and a __proto__ key reach nothing', () => {
  const proto = Object.prototype as Record<string, unknown>;
  proto['pollutedForTest'] = 'leak';
  try {
    const query = JSON.parse('{"__proto__":{"pollutedForTest":"x"},"a":"b"}') as Record<string, unknown>;
    assert.equal(evaluateExpression('has(query.pollutedForTest)', { query: {} }), false);
    assert.equal(evaluateExpression('has(query.constructor) || has(query.toString)', { query: {} }), false);
    assert.equal(evaluateExpression('has(event.x.pollutedForTest)', { event: { x: {} } }), false);
    assert.throws(() => evaluateExpression('query.pollutedForTest', { query }), /No such key/);
  } finally {
    delete proto['pollutedForTest'];
  }
});
