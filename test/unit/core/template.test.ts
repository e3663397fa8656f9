import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { FIELD_ESCAPERS } from '../../../src/core/escape.js';
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
    assert.throws(
      () => parseTemplate(s),
      (e: unknown) => {
        assert.ok(e instanceof ExprError);
        assert.ok(e.message.includes(fragment), e.message);
        assert.equal(e.offset, offset);
        return true;
      },
    );
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
  assert.throws(
    () => renderTemplate('x {{ event.missing }}', ctx),
    (e: unknown) => {
      assert.ok(e instanceof ExprError);
      assert.match(e.message, /event\.missing/);
      assert.equal(e.offset, 11);
      return true;
    },
  );
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
  assert.deepEqual(templateExpressions({ to: '{{ member.phone }}', body: ['Hi {{ event.name }}', { x: 'no' }], auth: 'Bearer {{ secret.X }}' }), [
    { path: ['to'], expr: 'member.phone', offset: 3 },
    { path: ['body', 0], expr: 'event.name', offset: 6 },
  ]);
});

describe('escaping where event data lands (url, html)', () => {
  const ctx = { event: { id: '../../admin?x=1#', tag: '1&admin=true', base: 'https://api.example.com/v1', dot: '..', html: '<b>"hi" & \'bye\'</b>', n: 7 } };
  const url = (template: string) => renderValue({ url: template }, ctx, FIELD_ESCAPERS['http']).value;
  const cases: Array<[string, unknown]> = [
    ['https://h/users/{{ event.id }}', { url: 'https://h/users/..%2F..%2Fadmin%3Fx%3D1%23' }],
    ['https://h/x?tag={{ event.tag }}&n={{ event.n }}', { url: 'https://h/x?tag=1%26admin%3Dtrue&n=7' }],
    ['https://h/x#{{ event.id }}', { url: 'https://h/x#..%2F..%2Fadmin%3Fx%3D1%23' }],
    ['{{ event.base }}/users/{{ event.id }}', { url: 'https://api.example.com/v1/users/..%2F..%2Fadmin%3Fx%3D1%23' }],
    ['{{ event.base }}', { url: 'https://api.example.com/v1' }],
    ['https://h/{{ raw_url(event.id) }}', { url: 'https://h/../../admin?x=1#' }],
    ['https://h/{{ raw_html(event.id) }}', { url: 'https://h/..%2F..%2Fadmin%3Fx%3D1%23' }],
  ];
  for (const [template, want] of cases) it(`url ${template}`, () => assert.deepEqual(url(template), want));

  it('refuses ".." and "." values in a url, and a base that is no absolute http(s) URL, naming the expression', () => {
    assert.throws(() => url('https://h/users/{{ event.dot }}/x'), /\{\{ event\.dot \}\} gives "\.\.", which would step up the url's path/);
    assert.throws(() => url('{{ event.tag }}/x'), /\{\{ event\.tag \}\} gives "1&admin=true", which begins the url, so it must be an absolute http\(s\) URL/);
    assert.throws(() => url('{{ event.id }}'), /begins the url/);
  });

  it('a secret base stays a secret part; data after it is encoded', () => {
    const r = renderValue({ url: '{{ secret.API_URL }}/users/{{ event.id }}' }, ctx, FIELD_ESCAPERS['http']);
    assert.deepEqual(r.secretFields, [{ path: ['url'], parts: [{ secret: 'API_URL' }, '/users/..%2F..%2Fadmin%3Fx%3D1%23'] }]);
  });

  it('html: substituted values escaped, literal markup and raw_html() as written; other fields untouched', () => {
    const r = renderValue(
      { html: '<p>{{ event.html }}</p>{{ raw_html(event.html) }}', text: '{{ event.html }}', subject: '{{ event.html }}' },
      ctx,
      FIELD_ESCAPERS['email'],
    );
    assert.deepEqual(r.value, {
      html: '<p>&lt;b&gt;&quot;hi&quot; &amp; &#39;bye&#39;&lt;/b&gt;</p><b>"hi" & \'bye\'</b>',
      text: '<b>"hi" & \'bye\'</b>',
      subject: '<b>"hi" & \'bye\'</b>',
    });
    assert.deepEqual(renderValue({ html: '{{ event.html }}' }, ctx, FIELD_ESCAPERS['email']).value, {
      html: '&lt;b&gt;&quot;hi&quot; &amp; &#39;bye&#39;&lt;/b&gt;',
    });
  });

  it('outside the escaped fields, and in other steps, nothing changes (raw_* are identity functions)', () => {
    assert.deepEqual(renderValue({ url: 'https://h/{{ event.id }}', query: { t: '{{ event.tag }}' } }, ctx).value, {
      url: 'https://h/../../admin?x=1#',
      query: { t: '1&admin=true' },
    });
    assert.equal(renderTemplate('{{ raw_url(event.tag) }}-{{ raw_html(event.n) }}', ctx), '1&admin=true-7');
  });
});
