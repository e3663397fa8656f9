#!/usr/bin/env node
// `npm test`: every test file under test/unit and test/integration, against a real Temporal dev
// server (started here unless TEMPORAL_ADDRESS names one). Fails when no test ran: on Node 20 a
// folder or quoted glob given to `--test` silently runs nothing, so the files are listed here. A
// file that fails to load fails the run, and so does one that declares no test (see the reporter).
// The counts come from scripts/test-counts-reporter.mjs (a node:test reporter writing JSON), run
// beside the `spec` reporter that people read.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

function testFiles(dir) {
  const out = [];
  let entries;
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

// `npm test -- test/unit/foo.test.ts test/unit/core` runs only the files named and those in the
// folders named.
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = only.length ? only.flatMap((a) => (a.endsWith('.ts') ? [a] : testFiles(a))) : [...testFiles('test/unit'), ...testFiles('test/integration')];
if (files.length === 0) {
  console.error('no test files found under test/unit or test/integration');
  process.exit(1);
}

const t0 = Date.now();
const { startDevServer } = await import('../src/temporal/dev-server.ts');
const { workflowBundle } = await import('../src/temporal/worker.ts');

let server;
const env = { ...process.env, NODE_ENV: 'test' };
if (!process.env.TEMPORAL_ADDRESS) {
  server = await startDevServer({ home: root, log: (l) => console.error(l) });
  env.TEMPORAL_ADDRESS = server.address;
  console.error(`Temporal dev server for the tests at ${server.address} (${server.cli}), ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
} else {
  console.error(`using the Temporal server at TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS}`);
}
// Bundle the workflows once; every test worker then loads the cached bundle.
await workflowBundle(root);

const countsDir = mkdtempSync(path.join(tmpdir(), 'hookflow-test-'));
env.HOOKFLOW_TEST_COUNTS = path.join(countsDir, 'counts.json');
const reporters = [
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/test-counts-reporter.mjs',
  '--test-reporter-destination=stdout',
];
const args = [
  '--import',
  'tsx',
  '--import',
  './scripts/test-blocking-stdout.mjs',
  '--test',
  ...reporters,
  '--test-force-exit',
  `--test-timeout=${process.env.TEST_TIMEOUT_MS ?? 300_000}`,
  `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
  ...files,
];
console.error(`running ${files.length} test file(s) on Node ${process.versions.node}`);
const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
// A watchdog, so a test that hangs in a hook cannot hold CI past its limit.
const limitMs = Number(process.env.TEST_SUITE_LIMIT_MS ?? 40 * 60_000);
const watchdog = setTimeout(() => {
  console.error(`the test run exceeded ${limitMs / 60_000} min; stopping it`);
  child.kill('SIGKILL');
}, limitMs);
const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
clearTimeout(watchdog);
await server?.stop();

let counts;
try {
  counts = JSON.parse(readFileSync(env.HOOKFLOW_TEST_COUNTS, 'utf8'));
} catch {
  counts = undefined; // the runner stopped before its reporters finished
}
rmSync(countsDir, { recursive: true, force: true });
if (!(counts?.tests > 0)) {
  console.error(`the test runner ran no test (exit ${code}); treating that as a failure`);
  process.exit(1);
}
for (const what of counts.empty ?? []) console.error(`✖ ${what}: a check that runs nothing is counted as a failure`);
const failed = counts.fail + counts.cancelled;
const skipped = counts.skipped + counts.todo;
console.log(`${counts.pass} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
console.error(`npm test took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exit(code === 0 && failed === 0 ? 0 : 1);
