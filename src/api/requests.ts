// The request-log API under /api (behind the admin access rule): what `hookflow requests` and the
// console read, and the replay buttons. JSON in, JSON out; errors in the ingress's shape.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { parseDuration } from '../core/duration.js';
import { JournalUnavailableError, VERDICTS, type Journal, type RequestDetail, type RunView, type Verdict } from '../intake/journal.js';
import { ReplayError, type Replayer } from '../intake/replay.js';
import type { RecipeSet } from '../recipes/recipe-set.js';

export interface RequestsApiDeps {
  journal: Journal;
  replayer: Replayer;
  recipes: RecipeSet;
  /** Temporal UI base for run links, e.g. http://localhost:8233 (none: no links). */
  temporalUiUrl?: string;
  namespace: string;
  /** The dispatcher's current concurrency, for /api/intake. */
  concurrency?: () => number;
}

class BadQuery extends Error {}

/** `1h`, `30m`, `7d` (ago), an ISO-8601 time, or ms since the epoch → ms since the epoch. */
export function parseSince(v: string, now = Date.now()): number {
  const s = v.trim();
  if (/^\d{12,}$/.test(s)) return Number(s);
  try {
    return now - parseDuration(s);
  } catch {
    const t = Date.parse(s);
    if (Number.isNaN(t)) throw new BadQuery(`since=${JSON.stringify(v)} is neither a duration (1h, 30m, 7d) nor a time (2026-12-01T10:00:00Z)`);
    return t;
  }
}

function one(q: unknown): string | undefined {
  return typeof q === 'string' && q !== '' ? q : undefined;
}

function verdictOf(v: string | undefined): Verdict | undefined {
  if (v === undefined) return undefined;
  if (!(VERDICTS as readonly string[]).includes(v)) throw new BadQuery(`verdict=${JSON.stringify(v)} is not one of ${VERDICTS.join(', ')}`);
  return v as Verdict;
}

function limitOf(v: string | undefined, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new BadQuery(`limit=${JSON.stringify(v)} is not a whole number from 1 to ${max}`);
  return n;
}

/** A body as the API shows it: text when it is valid UTF-8, else base64. */
function bodyView(body: Buffer): { encoding: 'utf8' | 'base64'; data: string } {
  const text = body.toString('utf8');
  return Buffer.from(text, 'utf8').equals(body) ? { encoding: 'utf8', data: text } : { encoding: 'base64', data: body.toString('base64') };
}

export function requestsApi(deps: RequestsApiDeps): Router {
  const r = express.Router();
  r.use(express.json({ limit: '64kb' }));

  const link = (workflowId: string): string | undefined =>
    deps.temporalUiUrl ? `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${encodeURIComponent(workflowId)}` : undefined;
  const withLinks = (runs: RunView[]) => runs.map((run) => ({ ...run, ...(link(run.workflowId) ? { url: link(run.workflowId) } : {}) }));

  r.get('/requests', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const since = one(q.since);
    const limit = limitOf(one(q.limit), 50, 1000);
    const source = one(q.source);
    const verdict = verdictOf(one(q.verdict));
    const before = one(q.before);
    const list = await deps.journal.listRequests({
      ...(source ? { source } : {}),
      ...(verdict ? { verdict } : {}),
      ...(since ? { since: parseSince(since) } : {}),
      ...(before ? { before } : {}),
      limit,
    });
    res.json({ requests: list.map((x) => ({ ...x, runs: withLinks(x.runs) })), next: list.length === limit ? list[list.length - 1]!.id : null });
  });

  r.get('/requests/:id', async (req, res) => {
    const d = await deps.journal.getRequest(String(req.params.id));
    if (!d)
      return void res.status(404).json({
        error: { code: 'unknown_request', message: `no request ${req.params.id} in the request log (it may be older than HOOKFLOW_JOURNAL_RETENTION)` },
      });
    res.json(detailView(d));
  });

  r.post('/requests/:id/replay', async (req, res) => {
    const recipe = typeof req.body?.recipe === 'string' ? (req.body.recipe as string) : undefined;
    const out = await deps.replayer.replayRequest(String(req.params.id), recipe ? { recipe } : {});
    res.status(202).json({ ...out, runs: withLinks(out.runs) });
  });

  r.post('/replay', async (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const source = typeof b.source === 'string' ? b.source : undefined;
    if (!source) throw new BadQuery('a bulk replay needs "source"');
    const items = await deps.replayer.replayMany({
      source,
      ...(typeof b.recipe === 'string' ? { recipe: b.recipe } : {}),
      ...(typeof b.since === 'string' ? { since: parseSince(b.since) } : {}),
      ...(typeof b.verdict === 'string' ? { verdict: verdictOf(b.verdict)! } : {}),
      failed: b.failed === true,
      dryRun: b.dry_run === true,
      ...(typeof b.limit === 'number' ? { limit: b.limit } : {}),
    });
    res.status(b.dry_run === true ? 200 : 202).json({ dry_run: b.dry_run === true, count: items.length, items });
  });

  r.get('/intake', async (_req, res) => {
    const stats = await deps.journal.stats();
    res.json({ kind: deps.journal.kind, ...stats, concurrency: deps.concurrency?.() ?? null });
  });

  function detailView(d: RequestDetail) {
    const event = d.triggerEvent;
    return {
      ...d,
      runs: withLinks(d.runs),
      body: bodyView(d.body),
      // Why each recipe of the source matched or not — judged by the recipes as they are now.
      explanation: event
        ? deps.recipes.current.index.explain(event).filter((e) => deps.recipes.current.recipes.find((x) => x.name === e.recipe)?.on.source === event.source)
        : [],
    };
  }

  r.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof BadQuery) return void res.status(400).json({ error: { code: 'bad_query', message: err.message } });
    if (err instanceof ReplayError) return void res.status(err.status).json({ error: { code: err.code, message: err.message } });
    if (err instanceof JournalUnavailableError) return void res.status(503).json({ error: { code: 'journal_unavailable', message: err.message } });
    const status = (err as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500)
      return void res.status(status).json({ error: { code: 'bad_request', message: (err as Error).message } });
    next(err);
  });
  return r;
}
