// One webhook's trip up to the journal: verify → parse → describe → match. What happens next
// (journal, dispatch, answer) is the intake's; this file never talks to Temporal.
import { evaluateExpression } from '../core/expr.js';
import { flattenHeaders } from '../http/headers.js';
import type { Recipe, SourceConfig, TriggerEvent } from '../core/types.js';
import { credentialQueryParams, getProvider, metaChallenge, PRESET_NAMES, sensitiveHeadersFor, type WebhookRequest } from '../providers/index.js';
import type { RecipeSnapshot } from '../recipes/recipe-set.js';
import type { RecipeSet } from '../recipes/recipe-set.js';
import { RESERVED_SOURCES } from '../recipes/sources.js';
import { IngressError } from './errors.js';
import { checkDescribed, checkEventSize } from './event-limits.js';
import { parseBody } from './parse-body.js';

export type WebhookOutcome =
  { kind: 'handshake'; status: number; contentType: string; body: string } | { kind: 'event'; event: TriggerEvent; matched: Recipe[] };

/** Headers that carry credentials: never stored, whatever the source. */
const ALWAYS_SENSITIVE = ['authorization', 'proxy-authorization', 'cookie'];

/** Headers as stored in a run's history and the request log: credential and signature headers dropped. */
export function storedHeaders(headers: WebhookRequest['headers'], source?: SourceConfig): Record<string, string> {
  const provider = source ? getProvider(source.provider) : undefined;
  const drop = new Set([...ALWAYS_SENSITIVE, ...(provider && source ? sensitiveHeadersFor(provider, source) : [])].map((h) => h.toLowerCase()));
  const out = flattenHeaders(headers);
  for (const name of drop) delete out[name];
  return out;
}

/** The query without the parameters that carry the source's credential (a `token` in the URL). */
export function storedQuery<Q extends Record<string, string | string[]>>(query: Q, source?: SourceConfig): Q {
  const hidden = source ? credentialQueryParams(source.verify) : [];
  if (hidden.length === 0) return query;
  const out = Object.create(null) as Q;
  for (const [k, v] of Object.entries(query)) if (!hidden.includes(k)) (out as Record<string, string | string[]>)[k] = v;
  return out;
}

/** The source config behind a trigger URL's name, or a 404 that says how to declare it. */
export function sourceFor(recipes: RecipeSet, sourceName: string): SourceConfig {
  if (RESERVED_SOURCES.includes(sourceName)) {
    throw new IngressError(
      404,
      'unknown_source',
      `"${sourceName}" is a source hookflow provides itself (${sourceName === 'hookflow' ? 'its own events, e.g. run.failed' : 'the fires of on.schedule'}); it has no trigger URL`,
    );
  }
  const source = SOURCE_NAME.test(sourceName) ? recipes.source(sourceName) : undefined;
  if (!source) {
    throw new IngressError(
      404,
      'unknown_source',
      `no source "${sourceName.slice(0, 100)}": declare it in sources.yaml or use a preset name (${PRESET_NAMES.join(', ')})`,
    );
  }
  return source;
}

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** Verifies, parses and describes a webhook and finds the recipes it starts. Throws IngressError for bad input. */
export function handleWebhook(source: SourceConfig, req: WebhookRequest, snapshot: RecipeSnapshot): WebhookOutcome {
  const provider = getProvider(source.provider);
  if (!provider) throw new IngressError(404, 'unknown_provider', `source "${source.name}" names provider "${source.provider}", which hookflow does not know`);

  if (req.method === 'GET') {
    const challenge = metaChallenge(req, source);
    if (challenge) return { kind: 'handshake', ...challenge };
  }
  provider.verify(req, source, req.receivedAt);
  // A token sent as a query parameter is a credential: past verification, nothing sees or stores it.
  req = { ...req, query: storedQuery(req.query, source) };
  const body = parseBody(req.rawBody, headerOf(req, 'content-type'), req.method, req.query);
  const handshake = provider.handshake?.(req, body, source);
  if (handshake) return { kind: 'handshake', ...handshake };

  const described = provider.describe(req, body, source, evaluateExpression);
  checkDescribed(described);
  const event: TriggerEvent = {
    source: source.name,
    type: described.type,
    id: described.id,
    received_at: req.receivedAt.toISOString(),
    body,
    headers: storedHeaders(req.headers, source),
    query: req.query,
  };
  checkEventSize(event, req.rawBody.length);
  return { kind: 'event', event, matched: snapshot.index.match(event) };
}

function headerOf(req: WebhookRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
