// The `push` step: Web Push (VAPID, payload encrypted by the web-push library) or Firebase Cloud
// Messaging HTTP v1. An expired subscription/token is reported as `SubscriptionGone`, so a recipe
// (or the person reading the run) knows to delete it rather than retry.
import { readFile } from 'node:fs/promises';
import jws from 'jws';
import webpush from 'web-push';
import { isDuration, parseDuration } from '../core/duration.js';
import type { Json, OutboundInput, PushParams, PushResult } from '../core/types.js';
import { noteAttempt } from './attempt-facts.js';
import { PERMANENT, TRANSIENT, isRetryableStatus, parseRetryAfter, permanentFailure, transientFailure } from './failures.js';
import { idempotencyKey, shortStableId } from './ids.js';
import type { OutboundGuard } from './outbound-guard.js';
import { fillSecrets, type Env, type Redactor } from './secrets.js';
import { decodeBody, sendRequest, type OutboundResponse } from './transport.js';

/** Web Push services accept ~4 KiB of encrypted payload; leave room for the encryption overhead. */
export const MAX_PUSH_PAYLOAD_BYTES = 3993;
const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const DEFAULT_FCM_API_BASE_URL = 'https://fcm.googleapis.com';
const MAX_RESPONSE_BYTES = 16 * 1024;

export interface PushActivityDeps {
  env: Env;
  guard: OutboundGuard;
  /** Shared across calls so an FCM access token is fetched once per hour, not per message. */
  fcmTokens: FcmTokenCache;
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

/** `ttl` in seconds: a number, digits, or a recipe duration like `90s`, `30m`, `12h`, `2d`, `1h30m`. */
export function parseTtlSeconds(ttl: number | string | undefined): number | undefined {
  if (ttl === undefined) return undefined;
  if (typeof ttl === 'number') {
    if (Number.isFinite(ttl) && ttl >= 0) return Math.floor(ttl);
  } else if (/^\s*\d+\s*$/.test(ttl)) {
    return Number(ttl);
  } else if (isDuration(ttl)) {
    return Math.floor(parseDuration(ttl) / 1000);
  }
  throw permanentFailure(PERMANENT.invalidParams, `push step: ttl ${JSON.stringify(ttl)} is not a number of seconds or a duration like 1h`);
}

function statusFailure(what: string, res: OutboundResponse, redactor: Redactor, goneHint: string): never {
  // Redacted whole, then cut: a secret across the cut would otherwise survive in part.
  const text = redactor.excerpt(decodeBody(res.body, res.headers['content-type']), 500);
  const message = redactor.text(`${what} → ${res.status}${text ? `: ${text}` : ''}`);
  if (res.status === 404 || res.status === 410) throw permanentFailure(PERMANENT.subscriptionGone, `${message} (${goneHint})`);
  if (isRetryableStatus(res.status)) {
    throw transientFailure(TRANSIENT.push, message, parseRetryAfter(res.headers['retry-after']));
  }
  throw permanentFailure(PERMANENT.pushRejected, message);
}

// ---------------------------------------------------------------------------------------------
// Web Push

function parseSubscription(to: Json): webpush.PushSubscription {
  let value: unknown = to;
  if (typeof to === 'string') {
    try {
      value = JSON.parse(to);
    } catch {
      throw permanentFailure(PERMANENT.invalidParams, 'push step (webpush): `to` must be a PushSubscription object or its JSON string');
    }
  }
  const sub = value as { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } } | null;
  if (!sub || typeof sub !== 'object' || typeof sub.endpoint !== 'string' || typeof sub.keys?.p256dh !== 'string' || typeof sub.keys.auth !== 'string') {
    throw permanentFailure(
      PERMANENT.invalidParams,
      'push step (webpush): `to` must look like {"endpoint": "https://…", "keys": {"p256dh": "…", "auth": "…"}} (what PushSubscription.toJSON() gives)',
    );
  }
  return { endpoint: sub.endpoint, keys: { p256dh: sub.keys.p256dh, auth: sub.keys.auth } };
}

function webPushPayload(params: PushParams): string {
  const payload: { [k: string]: Json } = {};
  if (params.title !== undefined) payload['title'] = params.title;
  if (params.body !== undefined) payload['body'] = params.body;
  if (params.data !== undefined) payload['data'] = params.data;
  const text = JSON.stringify(payload);
  if (Buffer.byteLength(text) > MAX_PUSH_PAYLOAD_BYTES) {
    throw permanentFailure(
      PERMANENT.invalidParams,
      `push step: the payload is ${Buffer.byteLength(text)} bytes; Web Push allows about ${MAX_PUSH_PAYLOAD_BYTES}`,
    );
  }
  return text;
}

async function sendWebPush(input: OutboundInput<PushParams>, params: PushParams, redactor: Redactor, deps: PushActivityDeps): Promise<PushResult> {
  const env = deps.env;
  const missing = ['VAPID_PUBLIC_KEY', 'VAPID_PRIVATE_KEY'].filter((n) => !env[n]);
  if (missing.length > 0) {
    throw permanentFailure(
      PERMANENT.configuration,
      `push step (webpush): ${missing.join(' and ')} not set (generate a pair with \`npx web-push generate-vapid-keys\`)`,
    );
  }
  const subscription = parseSubscription(params.to);
  let endpoint: URL;
  try {
    endpoint = new URL(subscription.endpoint);
  } catch {
    throw permanentFailure(PERMANENT.invalidParams, 'push step (webpush): the subscription endpoint is not a URL');
  }
  const ttl = parseTtlSeconds(params.ttl);
  let details: webpush.RequestDetails;
  try {
    details = webpush.generateRequestDetails(subscription, webPushPayload(params), {
      vapidDetails: {
        subject: env['VAPID_SUBJECT'] ?? 'mailto:hookflow@localhost',
        publicKey: env['VAPID_PUBLIC_KEY'] as string,
        privateKey: env['VAPID_PRIVATE_KEY'] as string,
      },
      contentEncoding: 'aes128gcm',
      // Same topic on every attempt: a push service replaces an undelivered earlier copy.
      topic: shortStableId(idempotencyKey(input.workflowId, input.stepPath)),
      ...(ttl !== undefined ? { TTL: ttl } : {}),
    });
  } catch (err) {
    if (err instanceof Error && 'statusCode' in err === false) {
      const vapid = /vapid|subject|public key|private key/i.test(err.message);
      throw permanentFailure(
        vapid ? PERMANENT.configuration : PERMANENT.invalidParams,
        `push step (webpush): ${err.message}${vapid ? ' (check VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT)' : ''}`,
      );
    }
    throw err;
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(details.headers)) headers[k] = String(v);
  const what = `webpush to ${endpoint.origin}`;
  const res = await sendRequest({
    method: details.method,
    url: endpoint,
    headers,
    body: details.body ?? undefined,
    guard: deps.guard,
    maxBodyBytes: MAX_RESPONSE_BYTES,
    label: what,
  });
  if (res.status < 200 || res.status >= 300) {
    statusFailure(what, res, redactor, 'the subscription has expired or was unsubscribed: remove it from your data');
  }
  return { id: res.headers['location'] ?? '', status: res.status };
}

// ---------------------------------------------------------------------------------------------
// FCM HTTP v1

interface ServiceAccount {
  project_id: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri: string;
}

async function loadServiceAccount(env: Env): Promise<ServiceAccount> {
  const file = env['FCM_SERVICE_ACCOUNT_FILE'];
  if (!file)
    throw permanentFailure(PERMANENT.configuration, 'push step (fcm): FCM_SERVICE_ACCOUNT_FILE is not set (path to the Firebase service-account JSON)');
  let parsed: Partial<ServiceAccount>;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<ServiceAccount>;
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    throw permanentFailure(PERMANENT.configuration, `push step (fcm): cannot read FCM_SERVICE_ACCOUNT_FILE=${file}: ${reason}`);
  }
  const missing = (['project_id', 'client_email', 'private_key'] as const).filter((k) => typeof parsed[k] !== 'string' || parsed[k] === '');
  if (missing.length > 0) {
    throw permanentFailure(
      PERMANENT.configuration,
      `push step (fcm): ${file} (FCM_SERVICE_ACCOUNT_FILE) lacks ${missing.join(', ')}; download a service-account key from the Firebase console`,
    );
  }
  return { ...(parsed as ServiceAccount), token_uri: parsed.token_uri ?? 'https://oauth2.googleapis.com/token' };
}

/** The RS256 JWT assertion of the OAuth 2.0 JWT-bearer grant (RFC 7523) Google expects. */
export function serviceAccountAssertion(account: ServiceAccount, nowSeconds: number): string {
  return jws.sign({
    header: { alg: 'RS256', typ: 'JWT', ...(account.private_key_id ? { kid: account.private_key_id } : {}) },
    payload: { iss: account.client_email, scope: FCM_SCOPE, aud: account.token_uri, iat: nowSeconds, exp: nowSeconds + 3600 },
    privateKey: account.private_key,
  });
}

export class FcmTokenCache {
  private tokens = new Map<string, { token: string; expiresAt: number }>();
  /** Concurrent sends share one token request. */
  private pending = new Map<string, Promise<string>>();

  private static key(account: ServiceAccount): string {
    return `${account.client_email}|${account.token_uri}|${account.private_key_id ?? ''}`;
  }

  async get(account: ServiceAccount, now: () => number = Date.now): Promise<string> {
    const key = FcmTokenCache.key(account);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > now()) return cached.token;
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const request = this.fetch(account, now)
      .then(({ token, expiresAt }) => {
        this.tokens.set(key, { token, expiresAt });
        return token;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, request);
    return request;
  }

  /** After a 401: the token was revoked or the clock is off; fetch a new one next time. */
  invalidate(account: ServiceAccount): void {
    this.tokens.delete(FcmTokenCache.key(account));
  }

  private async fetch(account: ServiceAccount, now: () => number): Promise<{ token: string; expiresAt: number }> {
    const assertion = serviceAccountAssertion(account, Math.floor(now() / 1000));
    const body = Buffer.from(new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString());
    const what = `FCM token request to ${account.token_uri}`;
    let url: URL;
    try {
      url = new URL(account.token_uri);
    } catch {
      throw permanentFailure(PERMANENT.configuration, `push step (fcm): token_uri in FCM_SERVICE_ACCOUNT_FILE is not a URL`);
    }
    const res = await sendRequest({
      method: 'POST',
      url,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(body.length) },
      body,
      guard: null, // operator-configured, not recipe data
      maxBodyBytes: MAX_RESPONSE_BYTES,
      label: what,
    });
    const text = decodeBody(res.body, res.headers['content-type']);
    if (res.status !== 200) {
      const message = `${what} → ${res.status}: ${text.slice(0, 300)}`;
      if (isRetryableStatus(res.status)) throw transientFailure(TRANSIENT.push, message, parseRetryAfter(res.headers['retry-after']));
      throw permanentFailure(PERMANENT.configuration, `${message} (check the service account in FCM_SERVICE_ACCOUNT_FILE)`);
    }
    let parsed: { access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw transientFailure(TRANSIENT.push, `${what}: the answer is not JSON`);
    }
    if (typeof parsed.access_token !== 'string') throw transientFailure(TRANSIENT.push, `${what}: no access_token in the answer`);
    const lifetime = typeof parsed.expires_in === 'number' ? parsed.expires_in : 3600;
    // Renew a minute early so a token never expires between cache check and use.
    return { token: parsed.access_token, expiresAt: now() + Math.max(0, lifetime - 60) * 1000 };
  }
}

function fcmData(data: Json | undefined): Record<string, string> | undefined {
  if (data === undefined || data === null) return undefined;
  if (typeof data === 'object' && !Array.isArray(data)) {
    // FCM's data is a map of strings: other values travel as JSON text.
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(data)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    return out;
  }
  return { data: typeof data === 'string' ? data : JSON.stringify(data) };
}

export function fcmMessage(params: PushParams, token: string, nowSeconds: number): { message: { [k: string]: Json } } {
  const message: { [k: string]: Json } = { token };
  const notification: { [k: string]: Json } = {};
  if (params.title !== undefined) notification['title'] = params.title;
  if (params.body !== undefined) notification['body'] = params.body;
  if (Object.keys(notification).length > 0) message['notification'] = notification;
  const data = fcmData(params.data);
  if (data) message['data'] = data;
  const ttl = parseTtlSeconds(params.ttl);
  if (ttl !== undefined) {
    message['android'] = { ttl: `${ttl}s` };
    message['webpush'] = { headers: { TTL: String(ttl) } };
    message['apns'] = { headers: { 'apns-expiration': String(ttl === 0 ? 0 : nowSeconds + ttl) } };
  }
  return { message };
}

interface FcmErrorBody {
  error?: { status?: string; message?: string; details?: Array<{ errorCode?: string }> };
}

async function sendFcm(input: OutboundInput<PushParams>, params: PushParams, redactor: Redactor, deps: PushActivityDeps): Promise<PushResult> {
  const token = typeof params.to === 'string' ? params.to.trim() : '';
  if (token === '') throw permanentFailure(PERMANENT.invalidParams, 'push step (fcm): `to` must be a registration token (a non-empty string)');
  const account = await loadServiceAccount(deps.env);
  const base = (deps.env['FCM_API_BASE_URL'] ?? DEFAULT_FCM_API_BASE_URL).replace(/\/+$/, '');
  const url = new URL(`${base}/v1/projects/${encodeURIComponent(account.project_id)}/messages:send`);
  const accessToken = await deps.fcmTokens.get(account);
  redactor.add(accessToken);
  const body = Buffer.from(JSON.stringify(fcmMessage(params, token, Math.floor(Date.now() / 1000))));
  const what = `fcm send to project ${account.project_id}`;
  const res = await sendRequest({
    method: 'POST',
    url,
    headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json', 'Content-Length': String(body.length) },
    body,
    guard: null, // FCM_API_BASE_URL is operator configuration
    maxBodyBytes: MAX_RESPONSE_BYTES,
    label: what,
  });
  const text = decodeBody(res.body, res.headers['content-type']);
  if (res.status === 200) {
    let name = '';
    try {
      name = String((JSON.parse(text) as { name?: unknown }).name ?? '');
    } catch {
      // A 200 without JSON still means "accepted".
    }
    return { id: name, status: res.status };
  }
  let error: FcmErrorBody['error'];
  try {
    error = (JSON.parse(text) as FcmErrorBody).error;
  } catch {
    error = undefined;
  }
  const codes = (error?.details ?? []).map((d) => d.errorCode).filter((c): c is string => typeof c === 'string');
  if (codes.includes('UNREGISTERED')) {
    throw permanentFailure(
      PERMANENT.subscriptionGone,
      redactor.text(
        `${what} → ${res.status} ${codes.join(',') || error?.status || ''}: the registration token is no longer valid (app uninstalled or token rotated); remove it from your data`,
      ),
    );
  }
  if (res.status === 401) {
    deps.fcmTokens.invalidate(account);
    throw transientFailure(TRANSIENT.push, redactor.text(`${what} → 401: access token refused; a new one is fetched on the next attempt`));
  }
  if (res.status === 404) {
    // Not UNREGISTERED: the URL itself is wrong, which no retry fixes.
    throw permanentFailure(
      PERMANENT.pushRejected,
      redactor.text(`${what} → 404 at ${url.href}: check FCM_API_BASE_URL and project_id in FCM_SERVICE_ACCOUNT_FILE`),
    );
  }
  statusFailure(`${what} (${[error?.status, ...codes].filter(Boolean).join(', ') || 'error'})`, res, redactor, 'the registration token is no longer valid');
}

// ---------------------------------------------------------------------------------------------

export async function runPush(input: OutboundInput<PushParams>, deps: PushActivityDeps): Promise<PushResult> {
  const { params, redactor } = fillSecrets(input.params, input.secretFields ?? [], deps.env);
  let result: PushResult;
  if (params.provider === 'webpush') result = await sendWebPush(input, params, redactor, deps);
  else if (params.provider === 'fcm') result = await sendFcm(input, params, redactor, deps);
  else throw permanentFailure(PERMANENT.invalidParams, `push step: provider must be webpush or fcm, not ${JSON.stringify(params.provider)}`);
  noteAttempt({ provider: params.provider, status: result.status });
  return result;
}
