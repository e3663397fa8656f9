// The Temporal server hookflow and the floor share in a side-by-side run: the dev server exactly as
// `hookflow start` embeds it (src/temporal/dev-server.ts, so its flags follow the product's), or
// the real server on PostgreSQL (bench/temporal-postgres.sh). Either way its pid, for CPU counts.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { ROOT } from '../lib/basics.js';
import { waitForTemporal } from '../lib/temporal.js';
import { stopChild } from '../lib/processes.js';
import { processTree } from '../lib/proc-stats.js';

export interface TemporalUnderTest {
  label: string;
  address: string;
  /** The server process (its CPU is reported apart from the systems'). */
  pid: number;
  stop(): Promise<void>;
}

/** The embedded dev server on a fresh SQLite file, as `hookflow start` runs it. */
export async function startEmbeddedDevServer(log: (l: string) => void): Promise<TemporalUnderTest> {
  const dbFile = path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-sbs-')), 'temporal.db');
  const server = await startDevServer({ home: ROOT, dbFile, log });
  const port = server.address.split(':').pop();
  // The SDK spawns the CLI as our child and keeps its pid to itself: find it by its --port.
  const pid = processTree(process.pid).find((p) => {
    const args = cmdline(p);
    return args.includes('start-dev') && args.includes(`--port ${port} `);
  });
  if (!pid) {
    await server.stop();
    throw new Error(`the dev server at ${server.address} runs, but no child process "temporal server start-dev --port ${port}" was found`);
  }
  return { label: `dev server as hookflow embeds it, SQLite file ${dbFile}`, address: server.address, pid, stop: () => server.stop() };
}

/**
 * The real Temporal server on the local PostgreSQL, fresh databases each time
 * (bench/temporal-postgres.sh: `build` must have run once).
 */
export async function startPostgresTemporal(log: (l: string) => void): Promise<TemporalUnderTest> {
  const script = path.join(ROOT, 'bench', 'temporal-postgres.sh');
  const run = (cmd: string): void => {
    const r = spawnSync('bash', [script, cmd], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bash bench/temporal-postgres.sh ${cmd} failed (${r.status}):\n${(r.stderr || r.stdout).slice(-2000)}`);
  };
  log('temporal: fresh PostgreSQL databases (temporal-postgres.sh setup)…');
  run('setup');
  // `start` execs the server, so the child's pid is the server's.
  const child = spawn('bash', [script, 'start'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const address = '127.0.0.1:17233';
  try {
    await waitForTemporal(address, 120_000, () => (child.exitCode !== null ? `the Temporal server exited ${child.exitCode}: ${stderr}` : undefined));
    run('namespace');
  } catch (err) {
    await stopChild(child, 'SIGTERM', 15_000);
    throw err;
  }
  return {
    label: 'Temporal server 1.29.1 on PostgreSQL (bench/temporal-postgres.sh)',
    address,
    pid: child.pid!,
    stop: () => stopChild(child, 'SIGTERM', 15_000),
  };
}

function cmdline(pid: number): string {
  try {
    return `${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')} `;
  } catch {
    return '';
  }
}
