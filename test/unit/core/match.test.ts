import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventTypeMatches, RecipeIndex } from '../../../src/core/match.js';
import type { Recipe, TriggerEvent } from '../../../src/core/types.js';

function recipe(name: string, source: string, event: string | string[], cond?: string): Recipe {
  return { name, on: { source, event, ...(cond === undefined ? {} : { if: cond }) }, steps: [{ log: 'x' }] };
}

function ev(source: string, type: string, body: unknown = {}, headers: Record<string, string> = {}): TriggerEvent {
  return { source, type, id: 'd1', received_at: '2024-01-01T00:00:00Z', body: body as TriggerEvent['body'], headers, query: { q: '1' } };
}

const recipes: Recipe[] = [
  recipe('sb-send', 'sendbird', 'group_channel:message_send'),
  recipe('sb-any-group', 'sendbird', 'group_channel:*'),
  recipe('sb-all', 'sendbird', '*'),
  recipe('sb-list', 'sendbird', ['open_channel:message_send', 'group_channel:message_send']),
  recipe('sb-text', 'sendbird', 'group_channel:message_send', 'event.payload.message != ""'),
  recipe('gh-push', 'github', 'push'),
  recipe('gh-pr', 'github', ['pull_request', 'pull_request_review*']),
  recipe('gh-main', 'github', 'push', 'event.ref == "refs/heads/main" && headers["x-github-event"] == "push"'),
  recipe('stripe-pay', 'stripe', 'payment_intent.*'),
  recipe('stripe-broken', 'stripe', 'payment_intent.succeeded', 'event.data.object.amount > 100'),
  recipe('stripe-trigger', 'stripe', '*.succeeded', 'trigger.type.startsWith("payment") && query.q == "1"'),
  recipe('dup-patterns', 'github', ['push', 'pus*']),
];
const index = new RecipeIndex(recipes);

const table: Array<[string, TriggerEvent, string[]]> = [
  [
    'exact + glob + * + list + filter',
    ev('sendbird', 'group_channel:message_send', { payload: { message: 'hi' } }),
    ['sb-send', 'sb-any-group', 'sb-all', 'sb-list', 'sb-text'],
  ],
  ['filter false', ev('sendbird', 'group_channel:message_send', { payload: { message: '' } }), ['sb-send', 'sb-any-group', 'sb-all', 'sb-list']],
  ['list member', ev('sendbird', 'open_channel:message_send'), ['sb-all', 'sb-list']],
  ['glob only', ev('sendbird', 'group_channel:channel_create'), ['sb-any-group', 'sb-all']],
  ['glob needs the prefix', ev('sendbird', 'xgroup_channel:a'), ['sb-all']],
  ['other source untouched', ev('github', 'push', { ref: 'refs/heads/dev' }, { 'x-github-event': 'push' }), ['gh-push', 'dup-patterns']],
  ['headers in filter', ev('github', 'push', { ref: 'refs/heads/main' }, { 'x-github-event': 'push' }), ['gh-push', 'gh-main', 'dup-patterns']],
  ['glob in list', ev('github', 'pull_request_review_comment'), ['gh-pr']],
  ['exact in list', ev('github', 'pull_request'), ['gh-pr']],
  ['no partial exact', ev('github', 'pus'), ['dup-patterns']],
  ['no prefix match', ev('github', 'pull'), []],
  ['filter error = no match', ev('stripe', 'payment_intent.succeeded', { data: {} }), ['stripe-pay', 'stripe-trigger']],
  ['filter true', ev('stripe', 'payment_intent.succeeded', { data: { object: { amount: 500 } } }), ['stripe-pay', 'stripe-broken', 'stripe-trigger']],
  ['trigger and query in filter', ev('stripe', 'charge.succeeded'), []],
  ['unknown source', ev('shopify', 'orders/create'), []],
  ['case-sensitive', ev('github', 'PUSH'), []],
];
for (const [name, event, want] of table) {
  test(`match: ${name}`, () => {
    assert.deepEqual(
      index.match(event).map((r) => r.name),
      want,
    );
  });
}

test('explain says why each recipe does not match', () => {
  const out = index.explain(ev('stripe', 'payment_intent.succeeded', { data: {} }));
  const by = new Map(out.map((e) => [e.recipe, e]));
  assert.equal(out.length, recipes.length);
  assert.deepEqual(by.get('stripe-pay'), { recipe: 'stripe-pay', matched: true });
  assert.deepEqual(by.get('gh-push'), { recipe: 'gh-push', matched: false, reason: 'listens to source "github", not "stripe"' });
  const broken = by.get('stripe-broken');
  assert.equal(broken?.matched, false);
  assert.match(broken?.reason ?? '', /^filter `event\.data\.object\.amount > 100` failed: .*object/);
  const typed = index.explain(ev('sendbird', 'open_channel:x')).find((e) => e.recipe === 'sb-list');
  assert.deepEqual(typed, {
    recipe: 'sb-list',
    matched: false,
    reason: 'event type "open_channel:x" is not in "open_channel:message_send", "group_channel:message_send"',
  });
  const filtered = index.explain(ev('sendbird', 'group_channel:message_send', { payload: { message: '' } })).find((e) => e.recipe === 'sb-text');
  assert.deepEqual(filtered, { recipe: 'sb-text', matched: false, reason: 'filter `event.payload.message != ""` is false' });
});

const globs: Array<[string, string, boolean]> = [
  ['*', 'anything', true],
  ['*', '', true],
  ['a*', 'a', true],
  ['a*c', 'abc', true],
  ['a*c', 'abd', false],
  ['a.b', 'axb', false],
  ['a.*', 'a.b.c', true],
  ['*:*', 'x:y', true],
  ['*:*', 'xy', false],
  ['issues(1)', 'issues(1)', true],
  ['a+b', 'aab', false],
  ['push', 'push', true],
];
for (const [pattern, type, want] of globs) {
  test(`eventTypeMatches(${pattern}, ${type}) = ${want}`, () => assert.equal(eventTypeMatches(pattern, type), want));
}

test("matching looks only at the recipes of the event's source (no scan of the others)", () => {
  // 20,000 recipes elsewhere, a third of them globs; the event's own source has an exact one and a
  // glob. Counted, not timed: how many glob patterns a match tries. A scan of every recipe would try
  // thousands; the index tries the one glob of the event's source whose prefix fits.
  const many: Recipe[] = [];
  for (let i = 0; i < 20_000; i++) many.push(recipe(`r${i}`, `src${i % 500}`, i % 3 ? `type${i}` : `type${i}.*`));
  many.push(recipe('mine', 'target', 'hello'), recipe('mine-glob', 'target', 'hel*'));
  const big = new RecipeIndex(many);
  const event = ev('target', 'hello');
  const { test, exec } = RegExp.prototype;
  // (test calls exec, so the patterns tried are counted as a set.)
  const tried = new Set<RegExp>();
  RegExp.prototype.test = function (this: RegExp, s: string) {
    tried.add(this);
    return test.call(this, s);
  };
  RegExp.prototype.exec = function (this: RegExp, s: string) {
    tried.add(this);
    return exec.call(this, s);
  };
  let matched: string[];
  try {
    matched = big.match(event).map((r) => r.name);
  } finally {
    Object.assign(RegExp.prototype, { test, exec });
  }
  assert.deepEqual(matched, ['mine', 'mine-glob']);
  assert.equal(tried.size, 1, `a match tried ${tried.size} glob pattern(s)`);
});
