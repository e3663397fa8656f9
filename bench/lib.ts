// Shared pieces of the benches and the drills: a Temporal dev server we control (flags, restarts),
// hookflow child processes, recipe folders, a counting sink, statistics and tables.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
 * The ingress URL is read from the line `listening on http://…` (or `… all interfaces, port N`).
 */
export async function spawnProc(args: string[], env: Record<string, string | undefined>, readyPattern = /hookflow is up|BENCH READY/, opts: { detached?: boolean } = {}): Promise<Proc> {
  // detached: the leader of its own process group, so a drill can kill the whole group at once.
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], detached: opts.detached ?? false });
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

/** RSS of a process (kB → MB) from /proc. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

// ---------------------------------------------------------------------------------------------
// A sink that counts unique deliveries and keeps their arrival times.

export interface CountingSink {
  url: string;
  /** Key (by default `<recipe>/<event id>` from the path) → first arrival (ms since epoch). */
  first: Map<string, number>;
  /** Key → how many requests carried it (more than 1: a duplicate delivery). */
  hits: Map<string, number>;
  /** Key → every Idempotency-Key seen. */
  keys: Map<string, Set<string>>;
  total(): number;
  /** Decides each answer; default 200. */
  respond: (key: string, n: number) => { status: number; delayMs?: number };
  close(): Promise<void>;
}

export interface CountingSinkOptions {
  /** A fixed port (peers have their sink's URL in their flow files); default: any free one. */
  port?: number;
  /** The key of a delivery from its path and body; default: the path after `/e/`. */
  keyOf?: (path: string, body: string) => string;
}

/** The key of a delivery whose JSON body carries the event's `id` (what the peers post). */
export const bodyId = (_path: string, body: string): string => {
  try {
    return String((JSON.parse(body) as { id?: unknown }).id);
  } catch {
    return '(not JSON)';
  }
};

export async function startCountingSink(opts: CountingSinkOptions = {}): Promise<CountingSink> {
  const first = new Map<string, number>();
  const hits = new Map<string, number>();
  const keys = new Map<string, Set<string>>();
  let total = 0;
  const sink: CountingSink = {
    url: '',
    first,
    hits,
    keys,
    total: () => total,
    respond: () => ({ status: 200 }),
    close: async () => {},
  };
  const keyOf = opts.keyOf ?? ((p: string) => p.replace(/^\/e\//, ''));
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    if (opts.keyOf) req.on('data', (c: Buffer) => chunks.push(c));
    else req.resume();
    req.on('end', () => {
      total++;
      const key = keyOf(req.url ?? '/', Buffer.concat(chunks).toString('utf8'));
      if (!first.has(key)) first.set(key, at);
      hits.set(key, (hits.get(key) ?? 0) + 1);
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`the sink cannot listen on 127.0.0.1:${opts.port ?? 0}: ${err.message}`)));
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
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
  /** Why there was no status (status 0). */
  error?: PostOutcome['error'];
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

// Enough sockets for a burst of 400 in flight (bench/side-by-side.ts) without queueing in the agent.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

/** How one POST ended: the status, or 0 with `error` on a timeout or a connection error. */
export interface PostOutcome {
  status: number;
  error?: 'timeout' | 'connection';
}

export function postOutcome(url: string, body: string, timeoutMs = 15_000): Promise<PostOutcome> {
  return new Promise((resolve) => {
    let timedOut = false;
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', () => resolve({ status: 0, error: timedOut ? 'timeout' : 'connection' }));
    });
    req.on('timeout', () => {
      timedOut = true;
      req.destroy(new Error('timeout'));
    });
    req.on('error', () => resolve({ status: 0, error: timedOut ? 'timeout' : 'connection' }));
    req.end(body);
  });
}

/** One POST; status 0 means a connection error (refused, reset) or a timeout. */
export function post(url: string, body: string, timeoutMs = 15_000): Promise<number> {
  return postOutcome(url, body, timeoutMs).then((o) => o.status);
}

/** The benches' webhook: a `ping` event with its id and the time it was sent (ms since epoch). */
export function pingBody(id: string, sentAt: number, extra?: Record<string, unknown>): string {
  return JSON.stringify({ type: 'ping', id, sent: sentAt, ...extra });
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
    const body = pingBody(ev.id, ev.t0, o.extra);
    const copies = o.copies ?? 1;
    for (let c = 0; c < copies; c++) {
      const p = postOutcome(o.url, body).then(({ status, error }) => {
        // With copies, the event counts as accepted when any copy was.
        if (ev.status < 200 || ev.status >= 300) [ev.status, ev.error] = [status, error];
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
  const f = statFields(pid);
  if (!f) throw new Error(`process ${pid} is gone: no /proc/${pid}/stat`);
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** A process and its descendants alive now, read from /proc. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (!f) continue;
    const ppid = Number(f[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  for (let todo = [root]; todo.length > 0; ) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * CPU time (ms) of a process tree: each live member's user + system time plus that of its children
 * already reaped (cutime + cstime), so every process is counted once, whether alive or gone.
 */
export function treeCpuMs(root: number): number {
  let ms = 0;
  for (const pid of processTree(root)) {
    const f = statFields(pid);
    if (f) ms += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
  }
  return ms;
}

/** The fields of /proc/<pid>/stat after the command name (state first); undefined once gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: the fields start after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
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
