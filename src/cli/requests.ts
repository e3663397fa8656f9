// `hookflow requests`, `hookflow requests show` and `hookflow replay --request/--source`: clients of a
// running hookflow's request-log API (/api), so they work the same against SQLite or PostgreSQL,
// on this machine or another (HOOKFLOW_URL and HOOKFLOW_ADMIN_TOKEN).
import type { Config } from '../config.js';
import { parseCommand, usageError } from './args.js';

type Out = (line: string) => void;

interface RunJson {
  recipe: string;
  workflowId: string;
  state: string;
  duplicate: boolean;
  error?: string;
  url?: string;
}

interface RequestJson {
  id: string;
  receivedAt: number;
  source: string;
  method: string;
  verdict: string;
  status: number;
  error?: { code: string; message: string };
  event?: { type: string; id: string };
  bodySize: number;
  runs: RunJson[];
  replayOf?: string;
}

interface DetailJson extends RequestJson {
  path: string;
  headers: Record<string, string>;
  body: { encoding: 'utf8' | 'base64'; data: string };
  bodyTruncated: boolean;
  explanation: Array<{ recipe: string; matched: boolean; reason?: string }>;
}

/** Where the running hookflow is: HOOKFLOW_URL, else this machine on PORT. */
function baseUrl(config: Config, flag: string | undefined): string {
  return (flag ?? config.env.HOOKFLOW_URL ?? `http://127.0.0.1:${config.port}`).replace(/\/+$/, '');
}

async function api<T>(config: Config, url: string | undefined, path: string, init: RequestInit = {}): Promise<T> {
  const base = baseUrl(config, url);
  const token = config.env.HOOKFLOW_ADMIN_TOKEN?.trim();
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      ...init,
      headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  } catch (err) {
    throw new Error(
      `hookflow does not answer at ${base} (${(err as Error).cause ?? (err as Error).message}): start it with "npm start", or set HOOKFLOW_URL to where it runs`,
      { cause: err },
    );
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${base}${path} answered ${res.status} with something that is not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } }).error;
    throw new Error(`${res.status} ${e?.code ?? ''}: ${e?.message ?? text.slice(0, 200)}`);
  }
  return json as T;
}

function time(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

function outcome(r: RequestJson): string {
  if (r.error) return `${r.error.code}: ${r.error.message}`;
  if (r.runs.length === 0) return r.verdict === 'handshake' ? 'registration handshake answered' : 'no recipe matched';
  return r.runs.map((x) => `${x.recipe} (${x.state}${x.duplicate ? ', duplicate' : ''})`).join(', ');
}

function pad(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n);
}

/** `hookflow requests [--source S] [--verdict V] [--since 1h] [--limit N] [--json]` and `requests show <id>`. */
export async function requestsCommand(config: Config, argv: string[], out: Out): Promise<number> {
  const usage = 'hookflow requests [--source S] [--verdict V] [--since 1h] [--limit N] [--json] | hookflow requests show <id> [--json]';
  const { values, positionals } = parseCommand(
    argv,
    {
      source: { type: 'string' },
      verdict: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      url: { type: 'string' },
    },
    usage,
    2,
  );
  if (positionals[0] === 'show') {
    const id = positionals[1];
    if (!id) throw usageError('hookflow requests show <request id> [--json]');
    const d = await api<DetailJson>(config, values.url, `/api/requests/${encodeURIComponent(id)}`);
    if (values.json) {
      out(JSON.stringify(d, null, 2));
      return 0;
    }
    showDetail(d, out);
    return 0;
  }
  if (positionals.length > 0) throw usageError(usage, `unexpected argument "${positionals[0]}"`);
  const q = new URLSearchParams();
  for (const k of ['source', 'verdict', 'since', 'limit'] as const) if (values[k]) q.set(k, values[k]!);
  const { requests } = await api<{ requests: RequestJson[] }>(config, values.url, `/api/requests?${q}`);
  if (values.json) {
    out(JSON.stringify(requests, null, 2));
    return 0;
  }
  if (requests.length === 0) {
    out('no requests recorded (yet) that match');
    return 0;
  }
  out(`${pad('REQUEST', 26)}  ${pad('TIME', 20)}  ${pad('SOURCE', 14)}  ${pad('VERDICT', 9)}  ST   ${pad('EVENT', 32)}  RUNS / REASON`);
  for (const r of requests) {
    const ev = r.event ? `${r.event.type} ${r.event.id}` : '—';
    out(`${r.id}  ${pad(time(r.receivedAt), 20)}  ${pad(r.source, 14)}  ${pad(r.verdict, 9)}  ${r.status}  ${pad(ev, 32)}  ${outcome(r)}`);
  }
  return 0;
}

function showDetail(d: DetailJson, out: Out): void {
  out(`request ${d.id}${d.replayOf ? ` (replay of ${d.replayOf})` : ''}`);
  out(`  received  ${time(d.receivedAt)}  ${d.method} ${d.path}`);
  out(`  verdict   ${d.verdict} → ${d.status}${d.error ? `  ${d.error.code}: ${d.error.message}` : ''}`);
  if (d.event) out(`  event     ${d.source} ${d.event.type} ${d.event.id}`);
  out('  headers');
  for (const [k, v] of Object.entries(d.headers)) out(`    ${k}: ${v}`);
  const body = d.body.encoding === 'utf8' ? d.body.data : `(binary, base64) ${d.body.data}`;
  out(`  body (${d.bodySize} bytes${d.bodyTruncated ? ', only the first part kept' : ''})`);
  for (const line of body.slice(0, 4000).split('\n')) out(`    ${line}`);
  if (body.length > 4000) out('    … (use --json for all of it)');
  if (d.explanation.length > 0) {
    out('  recipes (as they are now)');
    for (const e of d.explanation) out(`    ${e.matched ? '✓' : '·'} ${e.recipe}${e.reason ? `: ${e.reason}` : ''}`);
  }
  if (d.runs.length > 0) {
    out('  runs');
    for (const r of d.runs)
      out(`    ${r.workflowId}  ${r.state}${r.duplicate ? ' (duplicate delivery)' : ''}${r.error ? `  ${r.error}` : ''}${r.url ? `\n      ${r.url}` : ''}`);
  }
}

/**
 * `hookflow replay --request <id> [--recipe R]`, `hookflow replay --source S [--recipe R] [--since T] [--verdict V] [--failed] [--dry-run]`,
 * or `hookflow replay <workflowId>` (handed to replayCommand: it talks to Temporal, not to the API).
 */
export async function replayRequestsCommand(config: Config, argv: string[], out: Out): Promise<number> {
  const usage = 'hookflow replay --request <id> [--recipe R] | --source S [--recipe R] [--since T] [--verdict V] [--failed] [--dry-run] | <workflowId>';
  const { values, positionals } = parseCommand(
    argv,
    {
      request: { type: 'string' },
      source: { type: 'string' },
      recipe: { type: 'string' },
      since: { type: 'string' },
      verdict: { type: 'string' },
      failed: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      url: { type: 'string' },
    },
    usage,
    1,
  );
  if (positionals.length > 0) {
    if (values.request || values.source)
      throw usageError(usage, `a workflow id ("${positionals[0]}") and --request/--source are two kinds of replay: give one`);
    const options = Object.keys(values).map((k) => `--${k}`);
    if (options.length > 0) throw usageError(usage, `replay <workflowId> takes no options (got ${options.join(', ')})`);
    return (await import('./commands.js')).replayCommand(config, positionals, out);
  }
  if (values.request) {
    const r = await api<{ request: string; recipes: string[]; runs: RunJson[] }>(
      config,
      values.url,
      `/api/requests/${encodeURIComponent(values.request)}/replay`,
      {
        method: 'POST',
        body: JSON.stringify(values.recipe ? { recipe: values.recipe } : {}),
      },
    );
    if (values.json) out(JSON.stringify(r, null, 2));
    else if (r.runs.length === 0) out(`request ${values.request} replayed as ${r.request}: no recipe takes its event now`);
    else for (const run of r.runs) out(`replayed ${values.request} → ${run.workflowId} (${run.state})${run.url ? `  ${run.url}` : ''}`);
    return 0;
  }
  if (!values.source) throw usageError(usage);
  const body = {
    source: values.source,
    ...(values.recipe ? { recipe: values.recipe } : {}),
    ...(values.since ? { since: values.since } : {}),
    ...(values.verdict ? { verdict: values.verdict } : {}),
    ...(values.limit ? { limit: Number(values.limit) } : {}),
    failed: values.failed === true,
    dry_run: values['dry-run'] === true,
  };
  const r = await api<{
    dry_run: boolean;
    count: number;
    items: Array<{ request: string; event: { type: string; id: string }; recipes: string[]; replay?: { request: string; runs: RunJson[] } }>;
  }>(config, values.url, '/api/replay', { method: 'POST', body: JSON.stringify(body) });
  if (values.json) {
    out(JSON.stringify(r, null, 2));
    return 0;
  }
  for (const it of r.items) {
    const what = `${it.request} ${it.event.type} ${it.event.id} → ${it.recipes.join(', ')}`;
    out(r.dry_run ? `would replay ${what}` : `replayed ${what} as ${it.replay?.request ?? '?'}`);
  }
  out(r.dry_run ? `${r.count} request(s) would be replayed (dry run: nothing started)` : `${r.count} request(s) replayed`);
  return 0;
}
