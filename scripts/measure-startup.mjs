#!/usr/bin/env node
// Start-up time and memory of `hookflow serve` (and `hookflow worker`), run from source through tsx
// (`node bin/hookflow.mjs`) and compiled (`node dist/src/cli/main.js`, after `npm run build`),
// against one Temporal dev server started here. Numbers for docs/BENCHMARKS.md.
//
//   npm run build && node scripts/measure-startup.mjs [--runs 5] [--roles serve,worker]
//
// Each run: spawn the command, time until its "hookflow is up" banner, wait 2 s for it to settle,
// read VmRSS (resident now) and VmHWM (peak) from /proc, then SIGTERM it. Variants alternate, so a
// noisy neighbour slows both alike; the median of the runs is printed. Linux only (/proc).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, roles: { type: 'string', default: 'serve,worker' } } });
const runs = Number(values.runs);
const roles = values.roles.split(',').filter((r) => r === 'serve' || r === 'worker'); // --roles none: module loading only

const variants = [
  { name: 'tsx (source)', argv: [path.join(root, 'bin', 'hookflow.mjs')] },
  { name: 'compiled (dist/)', argv: [path.join(root, 'dist', 'src', 'cli', 'main.js')] },
];
if (!existsSync(variants[1].argv[0])) {
  console.error('no dist/: run `npm run build` first');
  process.exit(1);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function kib(status, field) {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
}

async function once(variant, role, temporalAddress, work) {
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    TEMPORAL_ADDRESS: temporalAddress,
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    HOOKFLOW_JOURNAL_URL: path.join(work, `intake-${role}.db`),
    LOG_LEVEL: 'warn',
  };
  if (role === 'worker') env.METRICS_PORT = String(await freePort());
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [...variant.argv, role], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const up = await new Promise((resolve) => {
    const limit = setTimeout(() => resolve(false), 60_000);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.includes('hookflow is up')) {
        clearTimeout(limit);
        resolve(true);
      }
    });
    child.on('exit', () => resolve(false));
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!up) {
    child.kill('SIGKILL');
    throw new Error(`${variant.name} ${role} did not come up:\n${stderr}`);
  }
  await new Promise((r) => setTimeout(r, 2000));
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
  return { ms, rssMiB: kib(status, 'VmRSS') / 1024, peakMiB: kib(status, 'VmHWM') / 1024 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// The part of start-up the build changes: loading the app's module graph (src/app/hookflow, which
// pulls in the ingress, the journal, the Temporal client and worker), in a fresh process each time.
function loadOnce(compiled) {
  const target = compiled ? path.join(root, 'dist', 'src', 'app', 'hookflow.js') : path.join(root, 'src', 'app', 'hookflow.ts');
  const code = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(target).href)}); process.stdout.write(String(performance.now() - t));`;
  const args = [...(compiled ? [] : ['--import', 'tsx']), '--input-type=module', '-e', code];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout);
}
const loads = { tsx: [], compiled: [] };
for (let i = 0; i < runs; i++) {
  loads.tsx.push(loadOnce(false));
  loads.compiled.push(loadOnce(true));
}
console.log(
  `loading src/app/hookflow's module graph, median of ${runs}: tsx ${median(loads.tsx).toFixed(0)} ms, compiled ${median(loads.compiled).toFixed(0)} ms`,
);

if (roles.length === 0) process.exit(0);
const { startDevServer } = await import('../src/temporal/dev-server.ts');
const server = await startDevServer({ home: root, log: (l) => console.error(l) });
const work = mkdtempSync(path.join(tmpdir(), 'hookflow-startup-'));
try {
  // A worker bundles its workflows once per code version into .hookflow/bundles; warm that cache
  // for both variants so the runs measure start-up, not webpack.
  for (const variant of variants) if (roles.includes('worker')) await once(variant, 'worker', server.address, work);
  const results = new Map();
  for (let i = 0; i < runs; i++) {
    for (const role of roles) {
      for (const variant of variants) {
        const r = await once(variant, role, server.address, work);
        const key = `${role}\t${variant.name}`;
        if (!results.has(key)) results.set(key, []);
        results.get(key).push(r);
        console.error(`run ${i + 1}: ${role} ${variant.name}: up in ${r.ms.toFixed(0)} ms, RSS ${r.rssMiB.toFixed(0)} MiB (peak ${r.peakMiB.toFixed(0)} MiB)`);
      }
    }
  }
  console.log(`Node ${process.versions.node}, ${runs} runs each, medians:`);
  console.log('| command | variant | up in (ms) | RSS after 2 s (MiB) | peak RSS (MiB) |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const [key, rs] of results) {
    const [role, name] = key.split('\t');
    console.log(
      `| hookflow ${role} | ${name} | ${median(rs.map((r) => r.ms)).toFixed(0)} | ${median(rs.map((r) => r.rssMiB)).toFixed(0)} | ${median(rs.map((r) => r.peakMiB)).toFixed(0)} |`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  await server.stop();
}
