// The ingress HTTP server: trigger URLs, /healthz, /metrics. Maps every error to a JSON answer.
import express, { type Request, type Response } from 'express';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { PayloadCodec } from '@temporalio/common';
import { CODEC_AUTH_TOKEN_ENV, codecRouter, type CodecRouterOptions } from '../temporal/codec-server.js';
import type { WebhookRequest } from '../providers/index.js';
import type { RecipeSet } from '../recipes/recipe-set.js';
import { TemporalUnavailableError } from '../temporal/client.js';
import { adminAccess } from './admin-access.js';
import { IngressError } from './errors.js';
import { handleWebhook, sourceFor, type RunStarter } from './handle-webhook.js';
import { queryOf } from './query.js';
import { readRawBody } from './read-body.js';

export interface IngressDeps {
  recipes: RecipeSet;
  starter: RunStarter;
  publicUrl: string;
  logger: Logger;
  /** undefined when healthy, else why not. */
  health: () => Promise<string | undefined>;
  metrics?: Metrics;
  /** When payload encryption is on: serve the codec endpoint the Temporal UI decrypts through. */
  codec?: { codec: PayloadCodec; options: CodecRouterOptions };
  /** The environment: HOOKFLOW_ADMIN_TOKEN guards the admin endpoints (unset → loopback clients only). */
  env?: Record<string, string | undefined>;
}

/** Seconds a provider should wait before retrying when Temporal cannot take the run. */
const RETRY_AFTER_S = 5;

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
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
    const reason = await deps.health();
    if (reason) res.status(503).json({ ok: false, reason });
    else res.json({ ok: true, recipes: deps.recipes.current.recipes.length });
  });

  app.get('/metrics', adminAccess(deps.env ?? {}), async (_req, res) => {
    if (!deps.metrics) return sendError(res, 404, 'no_metrics', 'metrics are not enabled in this process');
    const m = await deps.metrics.scrape();
    res.type(m.contentType).send(m.body);
  });

  app.all('/hooks/:source', async (req, res) => {
    const started = process.hrtime.bigint();
    const sourceName = req.params.source ?? '';
    const log = deps.logger.child({ source: sourceName });
    const m = deps.metrics;
    // Unknown names are folded into one label value so junk paths cannot blow up the series count.
    let label = '(unknown)';
    res.on('finish', () => {
      m?.ingressSeconds.observe({ source: label, status: String(res.statusCode) }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    try {
      if (!['GET', 'POST', 'PUT'].includes(req.method)) {
        res.setHeader('Allow', 'GET, POST, PUT');
        throw new IngressError(405, 'method_not_allowed', `${req.method} is not accepted on a trigger URL; use POST, PUT or GET`);
      }
      const source = sourceFor(deps.recipes, sourceName);
      label = sourceName;
      const rawBody = await readRawBody(req, source.maxBody, sourceName);
      const wreq: WebhookRequest = {
        method: req.method,
        publicUrl: deps.publicUrl + req.originalUrl,
        headers: req.headers,
        rawBody,
        query: queryOf(req.originalUrl),
        receivedAt: new Date(),
      };
      const outcome = await handleWebhook(source, wreq, deps.recipes, deps.starter);
      if (outcome.kind === 'handshake') {
        m?.webhooks.inc({ source: label, outcome: 'handshake', reason: '' });
        res.status(outcome.status).type(outcome.contentType).send(outcome.body);
        log.info({ status: outcome.status }, 'answered a registration handshake');
        return;
      }
      res.json({ accepted: true, event: outcome.event, runs: outcome.runs });
      if (m) {
        const fresh = outcome.runs.filter((r) => !r.duplicate).length;
        const outcomeLabel = outcome.runs.length === 0 ? 'no_match' : fresh === 0 ? 'duplicate' : 'accepted';
        m.webhooks.inc({ source: label, outcome: outcomeLabel, reason: '' });
        for (const r of outcome.runs) m.runsStarted.inc({ recipe: r.recipe, duplicate: String(r.duplicate) });
      }
      log.info(
        { event: outcome.event, runs: outcome.runs, ms: Number(process.hrtime.bigint() - started) / 1e6 },
        outcome.runs.length ? 'webhook accepted' : 'webhook accepted; no recipe matched',
      );
    } catch (err) {
      if (err instanceof IngressError) {
        m?.webhooks.inc({ source: label, outcome: 'rejected', reason: err.code });
        log.info({ status: err.status, code: err.code }, `webhook refused: ${err.message}`);
        return sendError(res, err.status, err.code, err.message);
      }
      if (err instanceof TemporalUnavailableError) {
        m?.webhooks.inc({ source: label, outcome: 'unavailable', reason: 'temporal_unavailable' });
        log.warn({ err: err.message }, 'Temporal unavailable; asked the provider to retry');
        res.setHeader('Retry-After', String(RETRY_AFTER_S));
        return sendError(res, 503, 'temporal_unavailable', `runs could not be stored durably, nothing was accepted; retry in ${RETRY_AFTER_S} s (${err.message})`);
      }
      m?.webhooks.inc({ source: label, outcome: 'error', reason: 'internal' });
      log.error({ err }, 'webhook failed unexpectedly');
      sendError(res, 500, 'internal', 'hookflow failed unexpectedly; the event was not accepted, retry later');
    }
  });

  if (deps.codec) {
    // The codec's own token (HOOKFLOW_CODEC_AUTH_TOKEN) is one more token the admin rule accepts there.
    const { authToken, ...options } = deps.codec.options;
    const extraTokens = authToken ? [{ token: authToken, env: CODEC_AUTH_TOKEN_ENV }] : [];
    app.use('/codec', adminAccess(deps.env ?? {}, { extraTokens, allowPreflight: true }));
    app.use(codecRouter(deps.codec.codec, options));
  }

  app.use((req, res) => sendError(res, 404, 'not_found', `nothing at ${req.method} ${req.path}; trigger URLs are /hooks/<source>`));
  // Errors thrown before a handler runs (a path like /hooks/%E0%A4%A fails to decode) would get
  // Express's HTML page with a stack trace; answer JSON like everything else.
  app.use((err: unknown, req: Request, res: Response, next: (err?: unknown) => void) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: unknown } | null)?.status;
    if (err instanceof URIError) return sendError(res, 400, 'bad_path', `the path ${req.originalUrl.slice(0, 200)} is not valid percent-encoding; trigger URLs are /hooks/<source>`);
    if (typeof status === 'number' && status >= 400 && status < 500) return sendError(res, status, 'bad_request', (err as Error).message);
    deps.logger.error({ err }, 'request failed unexpectedly');
    sendError(res, 500, 'internal', 'hookflow failed unexpectedly; retry later');
  });
  return app;
}
