// Finds a Temporal CLI (it carries the dev server), building it from the Go module proxy when
// none is installed: this machine class reaches the module proxy but not Temporal's download host.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, closeSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** The newest CLI tag whose go.mod has no `replace` directive, so `go install …@tag` works. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export type CliSource = 'TEMPORAL_CLI' | 'cache' | 'PATH' | 'built';
export interface FoundCli {
  path: string;
  source: CliSource;
}

export interface EnsureOptions {
  /** Root under which `.hookflow/bin/temporal` is cached. */
  home: string;
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
}

export function cachedCliPath(home: string): string {
  return path.join(home, '.hookflow', 'bin', 'temporal');
}

function isExecutable(p: string): boolean {
  try {
    return statSync(p).isFile() && (statSync(p).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

function onPath(name: string, env: Record<string, string | undefined>): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** A CLI that is already there, without building anything. */
export function findTemporalCli(opts: EnsureOptions): FoundCli | undefined {
  const env = opts.env ?? process.env;
  const explicit = env.TEMPORAL_CLI;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`TEMPORAL_CLI=${explicit} is not an executable file`);
    return { path: explicit, source: 'TEMPORAL_CLI' };
  }
  const cached = cachedCliPath(opts.home);
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  const fromPath = onPath('temporal', env);
  if (fromPath) return { path: fromPath, source: 'PATH' };
  return undefined;
}

/** Go may be installed without being on PATH (e.g. /usr/local/go/bin). */
export function findGo(env: Record<string, string | undefined> = process.env): string | undefined {
  const candidates = [
    env.GOROOT ? path.join(env.GOROOT, 'bin', 'go') : undefined,
    onPath('go', env),
    '/usr/local/go/bin/go',
    '/usr/lib/go/bin/go',
    path.join(homedir(), 'go', 'bin', 'go'),
    path.join(homedir(), 'sdk', 'go', 'bin', 'go'),
  ];
  for (const c of candidates) if (c && isExecutable(c)) return c;
  return undefined;
}

/** Serializes concurrent builds (two test processes, CI and a developer) with an exclusive lock file. */
async function withLock<T>(lockPath: string, log: (l: string) => void, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 20 * 60_000;
  let announced = false;
  for (;;) {
    try {
      closeSync(openSync(lockPath, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock older than 30 minutes belongs to a build that died.
      try {
        if (Date.now() - statSync(lockPath).mtimeMs > 30 * 60_000) rmSync(lockPath, { force: true });
      } catch {
        /* removed meanwhile */
      }
      if (!announced) log(`waiting for another build of the Temporal CLI (lock ${lockPath})`);
      announced = true;
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${lockPath}`, { cause: err });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockPath, { force: true });
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, log: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const ticker = setInterval(() => log('  … still building the Temporal CLI'), 30_000);
    child.on('error', (e) => {
      clearInterval(ticker);
      reject(e);
    });
    child.on('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${tail}`));
    });
  });
}

/** Builds the CLI into `<home>/.hookflow/bin/temporal` with `go install`. Takes minutes on a clean machine. */
export async function buildTemporalCli(opts: EnsureOptions): Promise<FoundCli> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((l: string) => console.error(l));
  const go = findGo(env);
  if (!go) throw new Error('Go is not installed (looked on PATH, $GOROOT/bin, /usr/local/go/bin, /usr/lib/go/bin)');
  const binDir = path.dirname(cachedCliPath(opts.home));
  mkdirSync(binDir, { recursive: true });
  return withLock(path.join(binDir, '.build.lock'), log, async () => {
    const target = cachedCliPath(opts.home);
    if (isExecutable(target)) return { path: target, source: 'cache' as const };
    const staging = path.join(binDir, `.staging-${process.pid}`);
    mkdirSync(staging, { recursive: true });
    log(`building the Temporal CLI: ${go} install ${TEMPORAL_CLI_MODULE} (a few minutes the first time; cached in ${binDir})`);
    const started = Date.now();
    await run(go, ['install', TEMPORAL_CLI_MODULE], { ...process.env, ...env, GOBIN: staging } as NodeJS.ProcessEnv, log);
    renameSync(path.join(staging, 'temporal'), target);
    rmSync(staging, { recursive: true, force: true });
    log(`built the Temporal CLI in ${((Date.now() - started) / 1000).toFixed(0)} s → ${target}`);
    return { path: target, source: 'built' as const };
  });
}

/**
 * A Temporal CLI to run the dev server with: TEMPORAL_CLI, the cache, PATH, else a Go build.
 * Returns undefined when none can be had here (no Go); callers then fall back to the SDK's download.
 */
export async function ensureTemporalCli(opts: EnsureOptions): Promise<FoundCli | undefined> {
  const found = findTemporalCli(opts);
  if (found) return found;
  if (!findGo(opts.env ?? process.env)) return undefined;
  return buildTemporalCli(opts);
}

export function cliVersion(cli: string): string {
  const r = spawnSync(cli, ['--version'], { encoding: 'utf8' });
  return (r.stdout || r.stderr || '').trim();
}
