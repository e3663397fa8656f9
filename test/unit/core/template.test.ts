import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExprError } from '../../../src/core/expr.js';
import { parseTemplate, renderTemplate, renderValue, SECRET_PLACEHOLDER, templateExpressions } from '../../../src/core/template.js';
import type { Json } from '../../../src/core/types.js';

const ctx = {
  event: {
    app_id: 'A1',
    sender: { nickname: 'Ann' },
    payload: { message: 'hi there' },
    count: 3,
    ok: true,
    tags: ['a', 'b'],
    meta: { k: 'v' },
    none: null,
    text: 'Bearer {{ secret.TOKEN }}',
  },
  member: { user_id: 'u2' },
};

test('parseTemplate splits text, expressions and secrets with offsets', () => {
  assert.deepEqual(parseTemplate('https://api-{{ event.app_id }}.x/{{member.user_id}}'), [
    { kind: 'text', text: 'https://api-', offset: 0 },
    { kind: 'expr', text: 'event.app_id', offset: 15 },
    { kind: 'text', text: '.x/', offset: 30 },
    { kind: 'expr', text: 'member.user_id', offset: 35 },
  ]);
  assert.deepEqual(parseTemplate('Bearer {{ secret.TOKEN }}'), [
    { kind: 'text', text: 'Bearer ', offset: 0 },
    { kind: 'secret', text: 'TOKEN', offset: 10 },
  ]);
  assert.deepEqual(parseTemplate('plain'), [{ kind: 'text', text: 'plain', offset: 0 }]);
  assert.deepEqual(parseTemplate(''), []);
});

test('parseTemplate finds the closing braces after CEL maps and strings containing }}', () => {
  assert.deepEqual(parseTemplate('{{ {"a": {"b": 1}} }}!'), [
    { kind: 'expr', text: '{"a": {"b": 1}}', offset: 3 },
    { kind: 'text', text: '!', offset: 21 },
  ]);
  assert.equal(renderTemplate('{{ "}}" + "x" }}', ctx), '}}x');
  assert.equal(renderTemplate('{{ "{{" }} literal', ctx), '{{ literal');
});

const badTemplates: Array<[string, string, number]> = [
  ['Hello {{ event.sender.nickname', 'unclosed `{{`', 6],
  ['a {{ }} b', 'empty', 2],
  ['x {{ event.count + }}', 'Unexpected token', 18],
  ['{{ nope(1) }}', 'nope', 3],
  ['Bearer {{ secret.TOKEN + "x" }}', 'whole template interpolation', 10],
  ['{{ "a" + secret.T }}', 'secret', 9],
];
for (const [s, fragment, offset] of badTemplates) {
  test(`parseTemplate rejects ${JSON.stringify(s)} at offset ${offset}`, () => {
    assert.throws(() => parseTemplate(s), (e: unknown) => {
      assert.ok(e instanceof ExprError);
      assert.ok(e.message.includes(fragment), e.message);
      assert.equal(e.offset, offset);
      return true;
    });
  });
}

const renders: Array<[string, Json]> = [
  ['{{ event.count }}', 3],
  ['{{ event.ok }}', true],
  ['{{ event.tags }}', ['a', 'b']],
  ['{{ event.meta }}', { k: 'v' }],
  ['{{ event.none }}', null],
  ['n={{ event.count }}', 'n=3'],
  ['{{ event.tags }} / {{ event.meta }}', '["a","b"] / {"k":"v"}'],
  ['[{{ event.none }}]', '[]'],
  [' {{ event.count }}', ' 3'],
  ['{{ event.sender.nickname }}: {{ event.payload.message }}', 'Ann: hi there'],
  ['no template', 'no template'],
  ['{{ event.text }}', 'Bearer {{ secret.TOKEN }}'],
];
for (const [s, want] of renders) {
  test(`renderTemplate(${JSON.stringify(s)})`, () => assert.deepEqual(renderTemplate(s, ctx), want));
}

test('renderTemplate refuses secrets and reports evaluation errors with the offset', () => {
  assert.throws(() => renderTemplate('{{ secret.TOKEN }}', ctx), /only available in the parameters of a step that sends/);
  assert.throws(() => renderTemplate('x {{ event.missing }}', ctx), (e: unknown) => {
    assert.ok(e instanceof ExprError);
    assert.match(e.message, /event\.missing/);
    assert.equal(e.offset, 11);
    return true;
  });
});

test('renderValue renders nested objects and lists and records secret fields', () => {
  const params: Json = {
    url: 'https://api-{{ event.app_id }}.sendbird.com/v3/users/{{ member.user_id }}',
    headers: { 'Api-Token': '{{ secret.SENDBIRD_API_TOKEN }}', Authorization: 'Bearer {{ secret.T }} for {{ member.user_id }}' },
    json: { n: '{{ event.count }}', list: ['{{ event.ok }}', 'k={{ secret.K }}', 7], nil: null },
  };
  const { value, secretFields } = renderValue(params, ctx);
  assert.deepEqual(value, {
    url: 'https://api-A1.sendbird.com/v3/users/u2',
    headers: { 'Api-Token': SECRET_PLACEHOLDER, Authorization: SECRET_PLACEHOLDER },
    json: { n: 3, list: [true, SECRET_PLACEHOLDER, 7], nil: null },
  });
  assert.deepEqual(secretFields, [
    { path: ['headers', 'Api-Token'], parts: [{ secret: 'SENDBIRD_API_TOKEN' }] },
    { path: ['headers', 'Authorization'], parts: ['Bearer ', { secret: 'T' }, ' for u2'] },
    { path: ['json', 'list', 1], parts: ['k=', { secret: 'K' }] },
  ]);
});

test('webhook data that looks like a secret template never becomes a secret field', () => {
  const { value, secretFields } = renderValue({ a: '{{ event.text }}', b: 'x {{ event.text }}' }, ctx);
  assert.deepEqual(value, { a: 'Bearer {{ secret.TOKEN }}', b: 'x Bearer {{ secret.TOKEN }}' });
  assert.deepEqual(secretFields, []);
});

test('templateExpressions lists every expression with its path and offset', () => {
  assert.deepEqual(
    templateExpressions({ to: '{{ member.phone }}', body: ['Hi {{ event.name }}', { x: 'no' }], auth: 'Bearer {{ secret.X }}' }),
    [
      { path: ['to'], expr: 'member.phone', offset: 3 },
      { path: ['body', 0], expr: 'event.name', offset: 6 },
    ],
  );
});
