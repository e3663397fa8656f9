// `npm test` itself (scripts/run-tests.mjs and its counting reporter), run on a folder of made-up
// test files: a file that fails to load, and a check that runs nothing (a file without tests, a
// describe() whose table of cases came out empty), fail the run; ordinary files pass it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-runner-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FILES: Record<string, string> = {
  'passing.test.ts': "import { describe, test } from 'node:test';\ndescribe('cases', () => {\n  for (const n of [1, 2]) test(`case ${n}`, () => {});\n});\n",
  'syntax-error.test.ts': "import { test } from 'node:test';\nconst x = ;\ntest('never', () => {});\n",
  'throws-at-import.test.ts': "import { test } from 'node:test';\nthrow new Error('broken at import');\ntest('never', () => {});\n",
  'no-tests.test.ts': '// a test file whose tests were all deleted\nexport {};\n',
  'empty-table.test.ts':
    "import { describe, test } from 'node:test';\nconst cases: number[] = [];\ndescribe('table', () => {\n  for (const n of cases) test(`case ${n}`, () => {});\n});\ntest('beside it', () => {});\n",
};
for (const [name, text] of Object.entries(FILES)) writeFileSync(path.join(dir, name), text);

/** Runs `npm test` on the named files of the folder; no Temporal is needed, so none is started. */
function runner(...names: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:1' };
  delete env.NODE_TEST_CONTEXT; // else the inner runner reports to this one instead of printing
  const child = spawn(process.execPath, ['scripts/run-tests.mjs', ...names.map((n) => path.join(dir, n))], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

test('files that fail to load, declare no test or hold an empty describe() fail the run; ordinary ones pass it', async () => {
  const [bad, good] = await Promise.all([runner(...Object.keys(FILES)), runner('passing.test.ts')]);
  const shown = (r: { stdout: string; stderr: string }) => `${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`;

  assert.equal(good.code, 0, shown(good));
  assert.match(good.stdout, /^2 passed, 0 failed$/m, shown(good));

  assert.equal(bad.code, 1, shown(bad));
  // Passed: the two cases and 'beside it'. Failed: the two files that did not load, the file
  // without tests and the empty table.
  assert.match(bad.stdout, /^3 passed, 4 failed$/m, shown(bad));
  assert.match(bad.stderr, /no-tests\.test\.ts: declares no test/, shown(bad));
  assert.match(bad.stderr, /empty-table\.test\.ts: describe "table" holds no test/, shown(bad));
});
