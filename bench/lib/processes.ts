// hookflow child processes: spawned, waited for until they say they are up, stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from './basics.js';

export interface Proc {
  child: ChildProcess;
  /** Ingress URL when the process serves HTTP. */
  url?: string;
  pid: number;
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Spawns `node bin/hookflow.mjs <cmd>` (or a bench process script) and waits for its "is up" line.
 * The ingress URL is read from the line `listening on http://…` (or `… all interfaces, port N`).
 */
export async function spawnProc(
  args: string[],
  env: Record<string, string | undefined>,
  readyPattern = /hookflow is up|BENCH READY/,
  opts: { detached?: boolean } = {},
): Promise<Proc> {
  // detached: the leader of its own process group, so a drill can kill the whole group at once.
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: opts.detached ?? false,
  });
  let err = '';
  let url: string | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start in 90 s:\n${err}`)), 90_000);
    child.stderr!.on('data', (c: Buffer) => {
      err = (err + c.toString()).slice(-20_000);
      // `listening on http://127.0.0.1:3000`, or on all interfaces: `listening on all interfaces, port 3000`.
      const m = /listening on (http:\/\/[^\s)]+)/.exec(err);
      const any = /listening on all interfaces, port (\d+)/.exec(err);
      if (m) url = m[1];
      else if (any) url = `http://127.0.0.1:${any[1]}`;
      if (readyPattern.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited ${code}:\n${err}`));
    });
  });
  return { child, url, pid: child.pid!, stderr: () => err, stop: (signal = 'SIGTERM') => stopChild(child, signal, 20_000) };
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}
