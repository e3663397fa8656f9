// Shared pieces of the benches and the drills: a Temporal dev server we control (flags, restarts),
// hookflow child processes, recipe folders, a counting sink, statistics and tables.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { ensureTemporalCli } from '../src/temporal/cli-binary.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function sorted(xs: number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** A plain-text table (also valid Markdown). */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: Array<string | number>): string => `| ${r.map((c, i) => String(c ?? '').padEnd(widths[i]!)).join(' | ')} |`;
  return [line(cells[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (Number.isInteger(n) || Math.abs(n) >= 100) return Math.round(n).toLocaleString('en');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** A TCP port free on 127.0.0.1 right now (for servers that must be told their port up front). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Temporal dev server, spawned directly so benches can pass SQLite pragmas and dynamic config.

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

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

// ---------------------------------------------------------------------------------------------
// Recipes

export interface BenchRecipeOptions {
  /** How many recipes match each `ping` event of source `bench`. */
  count: number;
  /** When set, each recipe POSTs `{id}` to `<sinkUrl>/e/<recipe>/<event id>`. */
  sinkUrl?: string;
  /** When set, each recipe ends with this `delay` (e.g. "10m"). */
  delay?: string;
  /** Outbound retry policy for the http step. */
  retry?: string;
  timeout?: string;
}

/**
 * sources.yaml declaring one unsigned generic source (`verify: none`): the event type comes from
 * `body.<eventField>` and the delivery id from `body.id`.
 */
export function unsignedSource(name: string, eventField = 'type'): string {
  return `sources:\n  ${name}:\n    provider: generic\n    verify: none\n    event: body.${eventField}\n    id: body.id\n`;
}

export function benchRecipesDir(o: BenchRecipeOptions): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-bench-'));
  writeFileSync(path.join(dir, 'sources.yaml'), unsignedSource('bench'));
  for (let i = 0; i < o.count; i++) {
    const name = `relay-${i}`;
    const steps: string[] = [];
    if (o.sinkUrl) {
      const extra = [o.retry ? `retry: ${o.retry}` : '', o.timeout ? `timeout: ${o.timeout}` : ''].filter(Boolean).join('\n    ');
      steps.push(`  - http: { method: POST, url: "${o.sinkUrl}/e/${name}/{{ event.id }}", json: { id: "{{ event.id }}" } }${extra ? `\n    ${extra}` : ''}`);
    } else steps.push('  - log: "got {{ event.id }}"');
    if (o.delay) steps.push(`  - delay: ${o.delay}`);
    writeFileSync(path.join(dir, `${name}.yaml`), `name: ${name}\non: { source: bench, event: ping }\nsteps:\n${steps.join('\n')}\n`);
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Child processes

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
 * The ingress URL is read from the line `listening on http://…`.
 */
export async function spawnProc(args: string[], env: Record<string, string | undefined>, readyPattern = /hookflow is up|BENCH READY/): Promise<Proc> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  let url: string | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start in 90 s:\n${err}`)), 90_000);
    child.stderr!.on('data', (c: Buffer) => {
      err = (err + c.toString()).slice(-20_000);
      const m = /listening on (http:\/\/[^\s)]+)/.exec(err);
      if (m) url = m[1];
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

/** RSS of a process (kB → MB) from /proc. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

// ---------------------------------------------------------------------------------------------
// A sink that counts unique deliveries and keeps their arrival times.

export interface CountingSink {
  url: string;
  /** `<recipe>/<event id>` → first arrival (ms since epoch). */
  first: Map<string, number>;
  /** `<recipe>/<event id>` → every Idempotency-Key seen. */
  keys: Map<string, Set<string>>;
  total(): number;
  /** Decides each answer; default 200. */
  respond: (key: string, n: number) => { status: number; delayMs?: number };
  close(): Promise<void>;
}

export async function startCountingSink(): Promise<CountingSink> {
  const first = new Map<string, number>();
  const keys = new Map<string, Set<string>>();
  let total = 0;
  const sink: CountingSink = {
    url: '',
    first,
    keys,
    total: () => total,
    respond: () => ({ status: 200 }),
    close: async () => {},
  };
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const at = Date.now();
    req.resume();
    req.on('end', () => {
      total++;
      const key = (req.url ?? '/').replace(/^\/e\//, '');
      if (!first.has(key)) first.set(key, at);
      const ik = req.headers['idempotency-key'];
      if (typeof ik === 'string') {
        let s = keys.get(key);
        if (!s) keys.set(key, (s = new Set()));
        s.add(ik);
      }
      const { status, delayMs } = sink.respond(key, total);
      const send = (): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      };
      if (delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, delayMs);
        timers.add(t);
      } else send();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  sink.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  sink.close = () => {
    for (const t of timers) clearTimeout(t);
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  };
  return sink;
}

// ---------------------------------------------------------------------------------------------
// An open-loop load generator: POSTs events at a fixed rate, with bounded concurrency.

export interface SentEvent {
  id: string;
  t0: number;
  status: number;
  answeredAt: number;
}

export interface OpenLoopOptions {
  url: string;
  rate: number;
  durationMs: number;
  idPrefix: string;
  /** Requests in flight at most; beyond it the generator falls behind (reported). */
  maxInFlight?: number;
  /** Body fields besides type/id. */
  extra?: Record<string, unknown>;
  /** Delivered copies of each event, sent concurrently. */
  copies?: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** One POST; status 0 means a connection error (refused, reset). */
export function post(url: string, body: string, timeoutMs = 15_000): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

export async function openLoop(o: OpenLoopOptions): Promise<{ sent: SentEvent[]; behindMs: number }> {
  const sent: SentEvent[] = [];
  const inFlight = new Set<Promise<void>>();
  const max = o.maxInFlight ?? 512;
  const total = Math.round((o.rate * o.durationMs) / 1000);
  const start = performance.now();
  let behindMs = 0;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / o.rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    else behindMs = Math.max(behindMs, -wait);
    while (inFlight.size >= max) await Promise.race(inFlight);
    const ev: SentEvent = { id: `${o.idPrefix}-${i}`, t0: Date.now(), status: -1, answeredAt: 0 };
    sent.push(ev);
    const body = JSON.stringify({ type: 'ping', id: ev.id, sent: ev.t0, ...o.extra });
    const copies = o.copies ?? 1;
    for (let c = 0; c < copies; c++) {
      const p = post(o.url, body).then((status) => {
        // With copies, the event counts as accepted when any copy was.
        if (ev.status < 200 || ev.status >= 300) ev.status = status;
        ev.answeredAt = Date.now();
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
  }
  await Promise.all(inFlight);
  return { sent, behindMs };
}

export function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}

/** CPU time (user + system) a process has used so far, in ms (from /proc, clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** The 1-minute load average, to print beside every figure on a shared machine. */
export function loadAvg(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/** POST with the answer's JSON body (undefined when not JSON); status 0 on a connection error. */
export function postForJson(url: string, body: string, timeoutMs = 15_000): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
      res.on('error', () => resolve({ status: 0, json: undefined }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, json: undefined }));
    req.end(body);
  });
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
