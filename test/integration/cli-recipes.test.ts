// `hookflow validate` and `hookflow test` as a user runs them (child processes), and hot reload of
// RECIPES_DIR in a running ingress: a good edit is picked up, a broken one keeps the last good set.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { eventually, postJson, recipesDir, startTestHookflow, unsignedSource } from '../helpers/hookflow.js';

function hookflow(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/hookflow.mjs', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('hookflow validate', () => {
  test('the malformed corpus: one file:line:col line per problem, exit 1', () => {
    const r = hookflow(['validate', 'test/fixtures/bad-recipes']);
    assert.equal(r.code, 1);
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.length >= 29, `${lines.length} problems reported`);
    for (const l of lines) assert.match(l, /^test\/fixtures\/bad-recipes\/[\w.-]+\.yaml:\d+:\d+ \S/, l);
    assert.ok(lines.some((l) => l.startsWith('test/fixtures/bad-recipes/07-unknown-step-ref.yaml:')));
  });

  test('good recipes: exit 0', () => {
    const r = hookflow(['validate', 'test/fixtures/good-recipes']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /all valid/);
  });

  test('--help: the usage on stdout, exit 0; a second folder: named with the usage, exit 1', () => {
    const help = hookflow(['validate', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.equal(help.stdout, 'usage: hookflow validate [dir]\n');
    const two = hookflow(['validate', 'test/fixtures/good-recipes', 'test/fixtures/bad-recipes']);
    assert.equal(two.code, 1);
    assert.equal(two.stderr, 'hookflow validate: unexpected argument "test/fixtures/bad-recipes"\nusage: hookflow validate [dir]\n');
  });
});

describe('hookflow test', () => {
  const recipe = (expectTo: string) => `
name: notify
on: { source: sendbird, event: "group_channel:message_send" }
steps:
  - id: presence
    http: { url: "https://api.example/users/{{ event.sender.user_id }}" }
  - if: steps.presence.body.is_online
    then: [ { push: { provider: fcm, to: "tok", title: "hi" } } ]
    else: [ { sms: { to: "{{ event.phone }}", body: "hi" } } ]
tests:
  - name: offline gets an sms
    event: { sender: { user_id: u1 }, phone: "+100" }
    mocks: { presence: { status: 200, body: { is_online: false } } }
    expect:
      - http: { url: "https://api.example/users/u1" }
      - sms: { to: "${expectTo}" }
`;
  test('passing tests: ✓ lines and exit 0', () => {
    const dir = recipesDir({ 'notify.yaml': recipe('+100') });
    const r = hookflow(['test', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ notify › offline gets an sms/);
    assert.match(r.stdout, /1 passed, 0 failed/);
  });
  test('a failing expectation: ✗ with a diff and exit 1', () => {
    const dir = recipesDir({ 'notify.yaml': recipe('+999') });
    const r = hookflow(['test', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /✗ notify › offline gets an sms/);
    assert.match(r.stdout, /action 2\.sms\.to: expected "\+999", got "\+100"/);
  });
});

describe('hot reload', () => {
  test('a new recipe is picked up while running; a broken edit keeps the last good set', async () => {
    const hf = await startTestHookflow({
      recipes: {
        'sources.yaml': unsignedSource('ops', 'kind'),
        'a.yaml': 'name: a\non: { source: ops, event: deploy }\nsteps:\n  - log: a\n',
      },
      hotReload: true,
    });
    try {
      const dir = hf.recipes!.dir;
      const runsFor = async (id: string) =>
        (await postJson(`${hf.url}/hooks/ops`, { kind: 'deploy', id })).json.runs.map((r: { recipe: string }) => r.recipe).sort();
      assert.deepEqual(await runsFor('e1'), ['a']);

      writeFileSync(path.join(dir, 'b.yaml'), 'name: b\non: { source: ops, event: deploy }\nsteps:\n  - log: b\n');
      await eventually(async () => ((await runsFor(`e2-${Date.now()}`)).length === 2 ? true : undefined), 10_000, 'the new recipe to load');

      writeFileSync(path.join(dir, 'b.yaml'), 'name: b\non: { source: ops, event: deploy }\nsteps:\n  - nope: 1\n');
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual(await runsFor('e3'), ['a', 'b'], 'the last good set keeps running');
      assert.equal(hf.recipes!.current.recipes.length, 2);

      // An alias bomb threw from the watcher's timer and took the process down; a file that cannot
      // be read (a folder named *.yaml) did too. Both are failed reloads now.
      const bomb = ['name: b', 'on: { source: ops, event: deploy }', 'vars:', '  a: &a [x, x, x, x, x, x, x, x, x, x]'];
      for (const [n, prev] of [
        ['b', 'a'],
        ['c', 'b'],
        ['d', 'c'],
        ['e', 'd'],
      ])
        bomb.push(`  ${n}: &${n} [${Array(10).fill(`*${prev}`).join(', ')}]`);
      bomb.push('steps:\n  - log: b\n');
      writeFileSync(path.join(dir, 'b.yaml'), bomb.join('\n'));
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual(await runsFor('e4'), ['a', 'b'], 'still serving, with the last good set');
      const bombed = hf.recipes!.reload();
      assert.ok(
        !bombed.ok && bombed.problems.some((p) => p.file.endsWith('b.yaml') && p.line === 5 && /aliases expand/.test(p.message)),
        JSON.stringify(bombed),
      );
      mkdirSync(path.join(dir, 'folder.yaml'));
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual(await runsFor('e5'), ['a', 'b'], 'still serving, with the last good set');
      const failed = hf.recipes!.reload();
      assert.equal(failed.ok, false);
      assert.match(JSON.stringify(failed), /could not be read: EISDIR/);
    } finally {
      await hf.stop();
    }
  });
});
