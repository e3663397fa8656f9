import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkRecipeText, formatProblem, loadRecipes, type Problem } from '../../../src/recipes/load.js';

const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const badDir = join(fixtures, 'bad-recipes');
const goodDir = join(fixtures, 'good-recipes');

interface Expectation {
  line: number;
  col: number;
  fragment: string;
}

/** `# expect: L:C fragment` comments at the top of each bad recipe. */
function expectationsOf(file: string): Expectation[] {
  const out: Expectation[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(/^# expect: (\d+):(\d+) (.+)$/gm)) {
    out.push({ line: Number(m[1]), col: Number(m[2]), fragment: m[3]! });
  }
  return out;
}

const bad = loadRecipes(badDir, {});
const badFiles = readdirSync(badDir)
  .filter((f) => f.endsWith('.yaml') && f !== 'sources.yaml')
  .sort();

test('the malformed-recipe corpus has at least 20 files, each with an expectation', () => {
  assert.ok(badFiles.length >= 20, `${badFiles.length} files`);
  for (const f of badFiles) assert.ok(expectationsOf(join(badDir, f)).length > 0, `${f} has no # expect line`);
});

for (const f of badFiles) {
  test(`bad recipe ${f} reports exactly its expected problems`, () => {
    const expected = expectationsOf(join(badDir, f));
    const got = bad.problems.filter((p) => basename(p.file) === f);
    const shown = got.map(formatProblem).join('\n');
    assert.equal(got.length, expected.length, `problems:\n${shown}`);
    for (const e of expected) {
      const hit = got.find((p) => p.line === e.line && p.col === e.col && p.message.includes(e.fragment));
      assert.ok(hit, `expected ${e.line}:${e.col} "${e.fragment}", got:\n${shown}`);
    }
  });
}

test('no malformed recipe is loaded, problems are sorted by file and position', () => {
  assert.deepEqual(bad.recipes, []);
  const keys = bad.problems.map((p) => [p.file, p.line, p.col] as const);
  const sorted = [...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2]));
  assert.deepEqual(keys, sorted);
  assert.ok(bad.sources.has('alerts'), 'the valid sources.yaml beside them still loads');
});

test('the good recipes load with zero problems', () => {
  const good = loadRecipes(goodDir, { DEPLOYER_SECRET: 'one, two', SHOPIFY_EU_SECRET: 's3' });
  assert.deepEqual(good.problems.map(formatProblem), []);
  assert.deepEqual(
    good.recipes.map((r) => r.name),
    ['github-deploy', 'sendbird-offline-notify'],
  );
  const sendbird = good.recipes.find((r) => r.name === 'sendbird-offline-notify');
  assert.deepEqual(sendbird?.on, { source: 'sendbird', event: 'group_channel:message_send', if: 'event.payload.message != ""' });
  const deployer = good.sources.get('deployer');
  assert.deepEqual(deployer?.secrets, ['one', 'two']);
  assert.equal(deployer?.maxBody, 5 * 1024 * 1024);
  assert.equal(good.sources.get('shop-eu')?.secretOrigin, 'SHOPIFY_EU_SECRET');
});

test('formatProblem prints file:line:col message with the file relative to the working directory', () => {
  const p: Problem = { file: join(process.cwd(), 'recipes', 'a.yaml'), line: 3, col: 7, message: 'boom' };
  assert.equal(formatProblem(p), `${join('recipes', 'a.yaml')}:3:7 boom`);
  assert.equal(formatProblem({ ...p, file: '/elsewhere/a.yaml' }), '/elsewhere/a.yaml:3:7 boom');
});

test('a missing folder is one problem; *.yml files are read; an empty file is a problem', () => {
  assert.match(loadRecipes('/nonexistent/recipes', {}).problems[0]?.message ?? '', /recipes folder not found/);
  const dir = mkdtempSync(join(tmpdir(), 'hookflow-load-'));
  try {
    writeFileSync(join(dir, 'a.yml'), 'name: a\non: { source: github, event: push }\nsteps: [ { log: hi } ]\n');
    writeFileSync(join(dir, 'b.yaml'), '# nothing yet\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a recipe');
    const r = loadRecipes(dir, {});
    assert.deepEqual(
      r.recipes.map((x) => x.name),
      ['a'],
    );
    assert.deepEqual(
      r.problems.map((p) => [basename(p.file), p.line, p.col]),
      [['b.yaml', 1, 1]],
    );
    assert.match(r.problems[0]!.message, /empty recipe file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Positions inside strings written in different YAML styles.
const positions: Array<[string, string, number, number, string]> = [
  [
    'double-quoted with escapes',
    'name: p\non: { source: github, event: push }\nsteps:\n  - log: "a\\tb\\u00e9 {{ nope.x }}"\n',
    4,
    25,
    'unknown variable "nope"',
  ],
  ['single-quoted with doubled quote', "name: p\non: { source: github, event: push }\nsteps:\n  - log: 'it''s {{ nope }}'\n", 4, 20, 'unknown variable "nope"'],
  ['plain', 'name: p\non: { source: github, event: push }\nsteps:\n  - log: x {{ nope }}\n', 4, 15, 'unknown variable "nope"'],
  [
    'literal block, third line',
    'name: p\non: { source: github, event: push }\nsteps:\n  - log: |\n      one\n      two\n        {{ steps.zz }}\n',
    7,
    12,
    'unknown step id "zz"',
  ],
  [
    'folded block, first line',
    'name: p\non: { source: github, event: push }\nsteps:\n  - if: >\n      event.a && steps.q.ok\n    then: [ { log: x } ]\n',
    5,
    18,
    'unknown step id "q"',
  ],
];
for (const [name, text, line, col, fragment] of positions) {
  test(`positions inside strings: ${name}`, () => {
    const { problems } = checkRecipeText('p.yaml', text);
    assert.equal(problems.length, 1, problems.map(formatProblem).join('\n'));
    assert.deepEqual([problems[0]!.line, problems[0]!.col], [line, col], problems[0]!.message);
    assert.ok(problems[0]!.message.includes(fragment), problems[0]!.message);
  });
}

test('all problems of a file are reported, not just the first', () => {
  const text = [
    'name: many',
    'on: { source: nowhere, event: push, if: "event.x ==" }',
    'steps:',
    '  - delay: soon',
    '  - log: "{{ steps.a.b }}"',
    '  - http: { url: 5 }',
  ].join('\n');
  const { problems, recipe } = checkRecipeText('many.yaml', text);
  assert.equal(recipe, undefined);
  assert.deepEqual(
    problems.map((p) => `${p.line}:${p.col}`),
    ['2:15', '2:52', '4:12', '5:14', '6:18'],
    problems.map(formatProblem).join('\n'),
  );
});

test('step ids are visible to later steps, to nested steps and inside loops; loop variables only inside', () => {
  const text = `name: scopes
on: { source: github, event: push }
steps:
  - id: outer
    for_each: event.commits
    as: commit
    steps:
      - id: inner
        log: "{{ commit.id }} {{ steps.outer }}"
      - if: steps.inner != null
        then: [ { log: "{{ commit.id }}" } ]
  - log: "{{ steps.inner }} {{ commit }}"
`;
  const { problems } = checkRecipeText('scopes.yaml', text);
  assert.deepEqual(
    problems.map((p) => `${p.line}:${p.col} ${p.message.slice(0, 25)}`),
    ['12:32 unknown variable "commit"'],
  );
});

test("trigger URLs: the sources the recipes use, without hookflow's own (run.failed, schedules)", async () => {
  const { RecipeSet } = await import('../../../src/recipes/recipe-set.js');
  const dir = mkdtempSync(join(tmpdir(), 'hf-trigger-'));
  try {
    writeFileSync(join(dir, 'a.yaml'), 'name: a\non: { source: github, event: push }\nsteps:\n  - log: a\n');
    writeFileSync(join(dir, 'b.yaml'), 'name: b\non: { source: hookflow, event: run.failed }\nsteps:\n  - log: b\n');
    writeFileSync(join(dir, 'c.yaml'), 'name: c\non: { schedule: { every: 1h } }\nsteps:\n  - log: c\n');
    writeFileSync(join(dir, 'd.yaml'), 'name: d\non: { source: stripe, event: charge.succeeded }\nsteps:\n  - log: d\n');
    const set = RecipeSet.load(dir, {});
    assert.equal(set.current.recipes.length, 4);
    assert.deepEqual(set.triggerSources(), ['github', 'stripe']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
