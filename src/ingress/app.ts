// The ingress HTTP server: trigger URLs, /healthz, /metrics, the request-log API. Every request to a
// trigger URL is recorded in the request log with its verdict; every error is a JSON answer.
import express, { type Request, type Response, type Router } from 'express';
import { runWorkflowId } from '../core/runtime-contract.js';
import type { SourceConfig } from '../core/types.js';
import { contentKeyOf } from '../intake/content-key.js';
import { BacklogFullError, StartFailedError, type Intake } from '../intake/intake.js';
import { JournalUnavailableError, REFUSED_BODY_BYTES, type RequestEntry, type Verdict } from '../intake/journal.js';
import { newRequestId } from '../intake/request-id.js';
import { holdFor, responderOf, type Responder } from '../intake/respond.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { WebhookRequest } from '../providers/index.js';
import type { RecipeSet } from '../recipes/recipe-set.js';
import { adminAccess } from './admin-access.js';
import { IngressError } from './errors.js';
import { handleWebhook, sourceFor, storedHeaders, storedQuery } from './handle-webhook.js';
import { queryOf } from './query.js';
import { readRawBody } from './read-body.js';

/** What /healthz reports: `ok` decides the status (200 while webhooks are accepted). */
export interface HealthReport {
  ok: boolean;
  reason?: string;
  [k: string]: unknown;
}

export interface IngressDeps {
  recipes: RecipeSet;
  intake: Intake;
  publicUrl: string;
  logger: Logger;
  health: () => Promise<HealthReport>;
  metrics?: Metrics;
  /** The request-log API (/api/*), already behind the admin access rule. */
  api?: Router;
  /** The web console's page (/console), already behind the admin access rule. */
  console?: Router;
  /** Answers webhooks whose recipe has `respond:` (absent: such recipes get the default JSON answer). */
  responder?: Responder;
  /**
   * More endpoints the process serves beside the trigger URLs (the Temporal codec endpoint when
   * payload encryption is on), each behind its own access rule; mounted in order, before the 404.
   */
  routers?: Router[];
  /** The environment: HOOKFLOW_ADMIN_TOKEN guards the admin endpoints (unset → loopback clients only). */
  env?: Record<string, string | undefined>;
}

/** Seconds a provider should wait before retrying a webhook hookflow could not take. */
const RETRY_AFTER_S = 5;

/** The error shape of the contract; the request id travels in the X-Hookflow-Request header. */
function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** The path and query as the request log keeps them: credential query parameters dropped. */
function loggedPath(req: Request, source?: SourceConfig): string {
  const url = new URL(req.originalUrl, 'http://x');
  const query = storedQuery(queryOf(req.originalUrl), source);
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const one of Array.isArray(v) ? v : [v]) qs.append(k, one);
  const s = qs.toString();
  return `${url.pathname.slice(0, 300)}${s ? `?${s.slice(0, 2000)}` : ''}`;
}

export function createIngress(deps: IngressDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // Nothing answered here is meant to be sniffed into HTML (a hub.challenge echo least of all).
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });

  app.get('/healthz', async (_req, res) => {
    const report = await deps.health();
    res.status(report.ok ? 200 : 503).json(report);
  });

  app.get('/metrics', adminAccess(deps.env ?? {}), async (_req, res) => {
    if (!deps.metrics) return sendError(res, 404, 'no_metrics', 'metrics are not enabled in this process');
    const m = await deps.metrics.scrape();
    res.type(m.contentType).send(m.body);
  });

  if (deps.api) app.use('/api', deps.api);
  if (deps.console) app.use('/console', deps.console);

  app.all('/hooks/:source', async (req, res) => {
    const started = process.hrtime.bigint();
    const receivedAt = new Date();
    const requestId = newRequestId(receivedAt.getTime());
    res.setHeader('X-Hookflow-Request', requestId);
    const sourceName = req.params.source ?? '';
    const log = deps.logger.child({ source: sourceName, request: requestId });
    const m = deps.metrics;
    // Unknown names are folded into one label value so junk paths cannot blow up the series count.
    let label = '(unknown)';
    let source: SourceConfig | undefined;
    let rawBody: Buffer | undefined;
    res.on('finish', () => {
      m?.ingressSeconds.observe({ source: label, status: String(res.statusCode) }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    const entry = (verdict: Verdict, status: number, extra: Partial<RequestEntry> = {}): RequestEntry => {
      const body = rawBody ?? Buffer.alloc(0);
      const keep = verdict === 'rejected' || verdict === 'handshake' ? body.subarray(0, REFUSED_BODY_BYTES) : body;
      return {
        id: requestId,
        receivedAt: receivedAt.getTime(),
        source: sourceName.slice(0, 100),
        method: req.method,
        path: loggedPath(req, source),
        headers: storedHeaders(req.headers, source),
        body: keep,
        bodySize: body.length,
        verdict,
        status,
        ...extra,
      };
    };
    const refuse = (status: number, code: string, message: string, extra: Partial<RequestEntry> = {}): void => {
      m?.webhooks.inc({ source: label, outcome: 'rejected', reason: code });
      deps.intake.record(entry('rejected', status, { error: { code, message }, ...extra }), label);
      sendError(res, status, code, message);
    };
    try {
      if (!['GET', 'POST', 'PUT'].includes(req.method)) {
        res.setHeader('Allow', 'GET, POST, PUT');
        throw new IngressError(405, 'method_not_allowed', `${req.method} is not accepted on a trigger URL; use POST, PUT or GET`);
      }
      source = sourceFor(deps.recipes, sourceName);
      label = sourceName;
      rawBody = await readRawBody(req, source.maxBody, sourceName);
      const wreq: WebhookRequest = {
        method: req.method,
        publicUrl: deps.publicUrl + req.originalUrl,
        headers: req.headers,
        rawBody,
        query: queryOf(req.originalUrl),
        receivedAt,
      };
      const outcome = handleWebhook(source, wreq, deps.recipes.current);
      if (outcome.kind === 'handshake') {
        m?.webhooks.inc({ source: label, outcome: 'handshake', reason: '' });
        deps.intake.record(entry('handshake', outcome.status), label);
        res.status(outcome.status).type(outcome.contentType).send(outcome.body);
        log.info({ status: outcome.status }, 'answered a registration handshake');
        return;
      }
      const { event, matched } = outcome;
      // A recipe with `respond` decides the answer (the first by name, when several do).
      const responding: ReturnType<typeof responderOf> = deps.responder ? responderOf(matched) : { others: [] };
      if (responding.recipe && responding.others.length > 0)
        log.info({ answers: responding.recipe.name, ignored: responding.others }, 'several matched recipes respond; the first by name answers');
      const content = contentKeyOf(source, event, log);
      const result = await deps.intake.deliver({
        request: entry('accepted', 200, { event: { type: event.type, id: event.id } }),
        event,
        deliveryKey: event.id,
        ...(content ? { content } : {}),
        runs: matched.map((recipe) => {
          const hold = recipe === responding.recipe ? holdFor(recipe) : undefined;
          return { recipe, workflowId: runWorkflowId(recipe.name, event.source, event.id), ...(hold !== undefined ? { holdMs: hold } : {}) };
        }),
      });
      const runs = result.runs.map((r) => ({ recipe: r.recipe, workflowId: r.workflowId, duplicate: r.duplicate, state: r.state }));
      if (responding.recipe && deps.responder) {
        const answer = await deps.responder.answer(responding.recipe, event, result);
        res.status(answer.status).set(answer.headers).send(answer.body);
      } else {
        res.json({ accepted: true, request: result.requestId, event: { source: event.source, type: event.type, id: event.id }, runs });
      }
      if (m) {
        m.webhooks.inc({ source: label, outcome: result.verdict, reason: '' });
        for (const r of runs) m.runsStarted.inc({ recipe: r.recipe, duplicate: String(r.duplicate) });
      }
      log.info(
        { event: { source: event.source, type: event.type, id: event.id }, verdict: result.verdict, runs, ms: Number(process.hrtime.bigint() - started) / 1e6 },
        result.verdict === 'no_match' ? 'webhook accepted; no recipe matched' : 'webhook accepted',
      );
    } catch (err) {
      if (err instanceof IngressError) {
        log.info({ status: err.status, code: err.code }, `webhook refused: ${err.message}`);
        return refuse(err.status, err.code, err.message);
      }
      res.setHeader('Retry-After', String(RETRY_AFTER_S));
      if (err instanceof BacklogFullError) {
        log.warn({ pending: err.pending }, 'backlog full; asked the provider to retry');
        return refuse(503, 'backlog_full', `${err.message} (in ${RETRY_AFTER_S} s)`);
      }
      if (err instanceof JournalUnavailableError) {
        m?.webhooks.inc({ source: label, outcome: 'unavailable', reason: 'journal_unavailable' });
        log.error({ err: err.message }, 'the intake journal could not commit; asked the provider to retry');
        return sendError(res, 503, 'journal_unavailable', `the webhook could not be stored durably, nothing was accepted; retry in ${RETRY_AFTER_S} s`);
      }
      if (err instanceof StartFailedError) {
        m?.webhooks.inc({ source: label, outcome: 'unavailable', reason: 'temporal_unavailable' });
        log.warn({ err: err.message }, 'Temporal unavailable (direct intake); the delivery stays journaled and the provider is asked to retry');
        return sendError(res, 503, 'temporal_unavailable', `the runs could not be started in Temporal in time; retry in ${RETRY_AFTER_S} s (${err.message})`);
      }
      m?.webhooks.inc({ source: label, outcome: 'error', reason: 'internal' });
      log.error({ err }, 'webhook failed unexpectedly');
      res.removeHeader('Retry-After');
      sendError(res, 500, 'internal', 'hookflow failed unexpectedly; the event was not accepted, retry later');
    }
  });

  for (const router of deps.routers ?? []) app.use(router);

  app.use((req, res) => sendError(res, 404, 'not_found', `nothing at ${req.method} ${req.path}; trigger URLs are /hooks/<source>`));
  // Errors thrown before a handler runs (a path like /hooks/%E0%A4%A fails to decode) would get
  // Express's HTML page with a stack trace; answer JSON like everything else.
  app.use((err: unknown, req: Request, res: Response, next: (err?: unknown) => void) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: unknown } | null)?.status;
    if (err instanceof URIError)
      return sendError(res, 400, 'bad_path', `the path ${req.originalUrl.slice(0, 200)} is not valid percent-encoding; trigger URLs are /hooks/<source>`);
    if (typeof status === 'number' && status >= 400 && status < 500) return sendError(res, status, 'bad_request', (err as Error).message);
    deps.logger.error({ err }, 'request failed unexpectedly');
    sendError(res, 500, 'internal', 'hookflow failed unexpectedly; retry later');
  });
  return app;
}
