// A Temporal dev server the benches control, spawned directly so they can pass SQLite pragmas and
// dynamic config, stop it, crash it and restart it on the same state.
import { spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { ensureTemporalCli } from '../../src/temporal/cli-binary.js';
import { freePort, ROOT, sleep } from './basics.js';
import { stopChild } from './processes.js';

export interface TemporalOptions {
  port?: number;
  /** SQLite file (state survives a restart on the same port); omitted → in memory. */
  dbFile?: string;
  pragmas?: string[];
  dynamicConfig?: string[];
}

/**
 * Dev-server settings the benches recommend (docs/BENCHMARKS.md): SQLite in WAL mode with
 * synchronous=NORMAL (a commit survives a process crash; only an OS crash or power loss can drop the
 * last commits), and eager activity dispatch (off by default in Temporal's dynamic config).
 */
export const TUNED_SERVER: TemporalOptions = {
  pragmas: ['journal_mode=wal', 'synchronous=normal'],
  dynamicConfig: ['system.enableActivityEagerExecution=true'],
};

export interface TemporalServer {
  address: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
  /** SIGKILL: a crash, nothing flushed beyond what SQLite had committed. */
  crash(): Promise<void>;
}

export async function startTemporal(opts: TemporalOptions = {}): Promise<TemporalServer> {
  const cli = await ensureTemporalCli({ home: ROOT, log: (l) => console.error(l) });
  if (!cli) throw new Error('no Temporal CLI: run `npx hookflow ensure-temporal` first');
  const port = opts.port ?? (await freePort());
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'];
  args.push('--http-port', String(await freePort()), '--metrics-port', String(await freePort()));
  for (const k of ['HookflowRecipe', 'HookflowSource', 'HookflowEvent']) args.push('--search-attribute', `${k}=Keyword`);
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  for (const p of opts.pragmas ?? []) args.push('--sqlite-pragma', p);
  for (const d of opts.dynamicConfig ?? []) args.push('--dynamic-config-value', d);
  const child = spawn(cli.path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const address = `127.0.0.1:${port}`;
  await waitForTemporal(address, 60_000, () => (child.exitCode !== null ? `the dev server exited ${child.exitCode}: ${stderr}` : undefined));
  return {
    address,
    port,
    pid: child.pid!,
    stop: () => stopChild(child, 'SIGTERM', 15_000),
    crash: () => stopChild(child, 'SIGKILL', 15_000),
  };
}

/** Resolves when the frontend answers getSystemInfo. */
export async function waitForTemporal(address: string, timeoutMs: number, died?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = died?.();
    if (why) throw new Error(why);
    try {
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await c.withDeadline(Date.now() + 2000, () => c.workflowService.getSystemInfo({}));
        return;
      } finally {
        await c.close();
      }
    } catch {
      if (Date.now() > deadline) throw new Error(`Temporal at ${address} did not answer within ${timeoutMs} ms`);
      await sleep(250);
    }
  }
}
