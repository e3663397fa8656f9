#!/usr/bin/env node
// `npm test`: every test file under test/unit and test/integration, against a real Temporal dev
// server (started here unless TEMPORAL_ADDRESS names one). Fails when no test ran: on Node 20 a
// folder or quoted glob given to `--test` silently runs nothing, so the files are listed here.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

function testFiles(dir) {
  const out = [];
  let entries = [];
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

// `npm test -- test/unit/foo.test.ts` runs only the files named.
const only = process.argv.slice(2).filter((a) => a.endsWith('.ts'));
const files = only.length ? only : [...testFiles('test/unit'), ...testFiles('test/integration')];
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

const args = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-force-exit', `--test-timeout=${process.env.TEST_TIMEOUT_MS ?? 300_000}`, `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files];
console.error(`running ${files.length} test file(s)`);
const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-5000);
});
// A watchdog, so a test that hangs in a hook cannot hold CI past its limit.
const limitMs = Number(process.env.TEST_SUITE_LIMIT_MS ?? 40 * 60_000);
const watchdog = setTimeout(() => {
  console.error(`the test run exceeded ${limitMs / 60_000} min; stopping it`);
  child.kill('SIGKILL');
}, limitMs);
const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
clearTimeout(watchdog);
await server?.stop();

const count = (label) => Number(new RegExp(`ℹ ${label} (\\d+)`).exec(tail)?.[1] ?? 'NaN');
const tests = count('tests');
const pass = count('pass');
const fail = count('fail') + (count('cancelled') || 0);
if (!(tests > 0)) {
  console.error(`the test runner ran no test (exit ${code}); treating that as a failure`);
  process.exit(1);
}
console.log(`${pass} passed, ${fail} failed`);
console.error(`npm test took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exit(code === 0 && fail === 0 ? 0 : 1);
