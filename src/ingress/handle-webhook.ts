// One webhook's trip: verify → parse → describe → match → start runs (durably) → answer.
import { evaluateExpression } from '../core/expr.js';
import { globMatches } from '../core/glob.js';
import type { Subscription } from '../core/runtime-contract.js';
import type { Recipe, SourceConfig, TriggerEvent } from '../core/types.js';
import { credentialQueryParams, getProvider, metaChallenge, sensitiveHeadersFor, type WebhookRequest } from '../providers/index.js';
import type { RecipeSet } from '../recipes/recipe-set.js';
import type { StartedRun } from '../temporal/client.js';
import { IngressError } from './errors.js';
import { checkDescribed, checkEventSize } from './event-limits.js';
import { parseBody } from './parse-body.js';

/** What the ingress needs of Temporal (HookflowClient in production; anything with these calls in benches). */
export interface RunStarter {
  startRun(recipe: Recipe, event: TriggerEvent): Promise<StartedRun>;
  subscribe(source: string, sub: Subscription): Promise<void>;
  deliver(event: TriggerEvent): Promise<void>;
}

export type WebhookOutcome =
  | { kind: 'handshake'; status: number; contentType: string; body: string }
  | { kind: 'accepted'; event: { source: string; type: string; id: string }; runs: StartedRun[] };

/** Headers that carry credentials: never stored in a run's history. */
const ALWAYS_SENSITIVE = ['authorization', 'proxy-authorization', 'cookie'];

function storedHeaders(headers: WebhookRequest['headers'], sensitive: string[]): Record<string, string> {
  const drop = new Set([...ALWAYS_SENSITIVE, ...sensitive.map((h) => h.toLowerCase())]);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || drop.has(k)) continue;
    out[k] = typeof v === 'string' ? v : v.join(', ');
  }
  return out;
}

/** The source config behind a trigger URL's name, or a 404 that says how to declare it. */
export function sourceFor(recipes: RecipeSet, sourceName: string): SourceConfig {
  const source = SOURCE_NAME.test(sourceName) ? recipes.source(sourceName) : undefined;
  if (!source) {
    throw new IngressError(404, 'unknown_source', `no source "${sourceName.slice(0, 100)}": declare it in sources.yaml or use a preset name (meiqia, sendbird, github, stripe, slack, shopify, twilio, standard-webhooks, svix, zoom, discord)`);
  }
  return source;
}

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export async function handleWebhook(
  source: SourceConfig,
  req: WebhookRequest,
  recipes: RecipeSet,
  starter: RunStarter,
): Promise<WebhookOutcome> {
  const sourceName = source.name;
  const provider = getProvider(source.provider);
  if (!provider) throw new IngressError(404, 'unknown_provider', `source "${sourceName}" names provider "${source.provider}", which hookflow does not know`);

  if (req.method === 'GET') {
    const challenge = metaChallenge(req, source);
    if (challenge) return { kind: 'handshake', ...challenge };
  }
  provider.verify(req, source, req.receivedAt);
  // A token sent as a query parameter is a credential: past verification, nothing sees or stores it.
  const hidden = credentialQueryParams(source.verify);
  if (hidden.length > 0) req = { ...req, query: Object.fromEntries(Object.entries(req.query).filter(([k]) => !hidden.includes(k))) };
  const body = parseBody(req.rawBody, headerOf(req, 'content-type'), req.method, req.query);
  const handshake = provider.handshake?.(req, body, source);
  if (handshake) return { kind: 'handshake', ...handshake };

  const described = provider.describe(req, body, source, evaluateExpression);
  checkDescribed(described);
  const event: TriggerEvent = {
    source: sourceName,
    type: described.type,
    id: described.id,
    received_at: req.receivedAt.toISOString(),
    body,
    headers: storedHeaders(req.headers, sensitiveHeadersFor(provider, source)),
    query: req.query,
  };
  checkEventSize(event, req.rawBody.length);
  const snapshot = recipes.current;
  const matched = snapshot.index.match(event);

  // Durable before acknowledged: every start (or its duplicate) is confirmed by Temporal first.
  const runs = await Promise.all(matched.map((r) => starter.startRun(r, event)));
  const waiting = snapshot.waits.get(sourceName);
  const followUps: Array<Promise<void>> = [];
  if (waiting?.some((p) => globMatches(p, event.type))) followUps.push(starter.deliver(event));
  matched.forEach((recipe, i) => {
    for (const [waitSource, events] of snapshot.waitsByRecipe.get(recipe.name) ?? []) {
      followUps.push(starter.subscribe(waitSource, { workflowId: runs[i]!.workflowId, events, since: event.received_at }));
    }
  });
  await Promise.all(followUps);
  return { kind: 'accepted', event: { source: sourceName, type: event.type, id: event.id }, runs };
}

function headerOf(req: WebhookRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
