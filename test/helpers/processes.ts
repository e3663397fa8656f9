// hookflow as child processes (`bin/hookflow.mjs <role>`), for tests of what crosses process
// boundaries: scale-out, SIGTERM/SIGKILL, several ingress processes on one journal.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';

export interface Proc {
  role: string;
  child: ChildProcess;
  pid: number;
  /** stdout + stderr so far (pino JSON lines and the CLI's progress lines). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Spawns `hookflow <role>`; `detached` makes it the leader of its own process group (for killing the group). */
export function spawnHookflow(role: 'serve' | 'worker' | 'start', env: Record<string, string | undefined>, opts: { detached?: boolean } = {}): Proc {
  return spawnNode(['bin/hookflow.mjs', role], role, env, opts);
}

/** Spawns `node ...args` (e.g. the compiled `dist/src/cli/main.js serve`), labelled `role` in messages. */
export function spawnNode(args: string[], role: string, env: Record<string, string | undefined>, opts: { detached?: boolean } = {}): Proc {
  const child = spawn(process.execPath, args, {
    cwd: process.cwd(),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  assert.ok(child.pid, `could not spawn hookflow ${role}`);
  return { role, child, pid: child.pid, output: () => out, exited };
}

export async function waitForOutput(p: Proc, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(p.output())) {
    if (Date.now() > deadline || p.child.exitCode !== null) {
      throw new Error(`hookflow ${p.role} (pid ${p.pid}) did not print ${pattern} in ${timeoutMs} ms; it printed:\n${p.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Kills whatever is still running (SIGKILL) and waits for the exits. */
export async function killAll(procs: Proc[]): Promise<void> {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
}
