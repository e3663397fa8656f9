// The `http` step: one request per attempt, classified for Temporal's retry policy
// (network errors, timeouts, 408, 429, 5xx retry — honouring Retry-After; other 4xx fail at once).
import { createHmac } from 'node:crypto';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { HttpParams, HttpResult, Json, OutboundInput } from '../core/types.js';
import { PERMANENT, TRANSIENT, parseRetryAfter, permanentFailure, transientFailure } from './failures.js';
import type { OutboundGuard } from './outbound-guard.js';
import { idempotencyKey } from './ids.js';
import { fillSecrets, type Env, type Redactor } from './secrets.js';
import { activityContext, decodeBody, isJsonContentType, sendRequest, type OutboundResponse } from './transport.js';

/** Responses above this are cut, so one big answer cannot bloat the run's history. */
export const MAX_RESULT_BODY_BYTES = 64 * 1024;
/** How much of a failed response's body goes into the error message. */
const ERROR_BODY_EXCERPT = 500;

export interface HttpActivityDeps {
  env: Env;
  guard: OutboundGuard;
  logger?: { info(o: object, msg?: string): void; warn(o: object, msg?: string): void };
}

export interface PreparedRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  const lower = name.toLowerCase();
  return Object.keys(headers).some((h) => h.toLowerCase() === lower);
}

function stringifyValue(value: Json): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function appendParams(target: URLSearchParams, record: Record<string, Json>): void {
  for (const [key, value] of Object.entries(record)) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) target.append(key, stringifyValue(v));
    else target.append(key, stringifyValue(value));
  }
}

/** Turns validated step params into the request to send (no secrets resolved here; no I/O). */
export function prepareHttpRequest(params: HttpParams, key: string, now: () => number = Date.now): PreparedRequest {
  if (typeof params.url !== 'string' || params.url === '') {
    throw permanentFailure(PERMANENT.invalidParams, 'http step: `url` is empty');
  }
  let url: URL;
  try {
    url = new URL(params.url);
  } catch {
    throw permanentFailure(PERMANENT.invalidParams, `http step: \`url\` is not an absolute URL: ${params.url.slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw permanentFailure(PERMANENT.invalidParams, `http step: only http and https URLs can be called, not ${url.protocol}`);
  }
  if (params.query) appendParams(url.searchParams, params.query);

  const bodies = (['json', 'form', 'body'] as const).filter((k) => params[k] !== undefined);
  if (bodies.length > 1) {
    throw permanentFailure(PERMANENT.invalidParams, `http step: give only one of json, form and body (got ${bodies.join(', ')})`);
  }

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(params.headers ?? {})) {
    const text = String(value);
    try {
      validateHeaderName(name);
      validateHeaderValue(name, text);
    } catch {
      // The value is not shown: it may hold a secret.
      throw permanentFailure(PERMANENT.invalidParams, `http step: header ${JSON.stringify(name)} has an invalid name or value (control or non-Latin-1 characters)`);
    }
    headers[name] = text;
  }

  let body: Buffer | undefined;
  let contentType: string | undefined;
  if (params.json !== undefined) {
    body = Buffer.from(JSON.stringify(params.json), 'utf8');
    contentType = 'application/json';
  } else if (params.form !== undefined) {
    const form = new URLSearchParams();
    appendParams(form, params.form);
    body = Buffer.from(form.toString(), 'utf8');
    contentType = 'application/x-www-form-urlencoded';
  } else if (params.body !== undefined) {
    body = Buffer.from(String(params.body), 'utf8');
    contentType = 'text/plain; charset=utf-8';
  }
  if (contentType && !hasHeader(headers, 'content-type')) headers['Content-Type'] = contentType;

  if (params.auth?.bearer !== undefined) {
    headers['Authorization'] = `Bearer ${params.auth.bearer}`;
  } else if (params.auth?.basic) {
    const { username, password } = params.auth.basic;
    headers['Authorization'] = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  }
  // A recipe may set its own key (some APIs want their format); otherwise the run's stable one.
  if (!hasHeader(headers, 'idempotency-key')) headers['Idempotency-Key'] = key;
  if (!hasHeader(headers, 'user-agent')) headers['User-Agent'] = 'hookflow';
  if (body !== undefined) headers['Content-Length'] = String(body.length);

  const signingSecret = params.sign?.['standard-webhooks'];
  if (signingSecret !== undefined) {
    const timestamp = Math.floor(now() / 1000);
    headers['webhook-id'] = key;
    headers['webhook-timestamp'] = String(timestamp);
    headers['webhook-signature'] = signStandardWebhook(signingSecret, key, timestamp, body ?? Buffer.alloc(0));
  }

  const method = (params.method ?? (body !== undefined ? 'POST' : 'GET')).toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw permanentFailure(PERMANENT.invalidParams, `http step: invalid method ${JSON.stringify(params.method)}`);
  return { method, url, headers, body };
}

/** `v1,<base64 HMAC-SHA256 over "id.timestamp.body">`, keyed by the base64 after `whsec_`. */
export function signStandardWebhook(secret: string, id: string, timestampSeconds: number, body: Buffer): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length === 0) {
    throw permanentFailure(PERMANENT.invalidParams, 'http step: sign.standard-webhooks needs a base64 secret like whsec_…');
  }
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

export type StatusMatcher = (status: number) => boolean;

/** `expect` as a predicate: codes (`201`, "404") and classes ("2xx"); default any 2xx. */
export function parseExpect(expect: HttpParams['expect']): StatusMatcher {
  const list = expect === undefined ? [] : Array.isArray(expect) ? expect : [expect];
  if (list.length === 0) return (s) => s >= 200 && s < 300;
  const tests = list.map((entry): StatusMatcher => {
    const text = String(entry).trim().toLowerCase();
    if (/^[1-5]\d\d$/.test(text)) return (s) => s === Number(text);
    if (/^[1-5]xx$/.test(text)) {
      const base = Number(text[0]) * 100;
      return (s) => s >= base && s < base + 100;
    }
    throw permanentFailure(PERMANENT.invalidParams, `http step: expect ${JSON.stringify(entry)} is neither a status code nor a class like 2xx`);
  });
  return (s) => tests.some((t) => t(s));
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The URL as shown in messages and logs: no user-info; the query is kept (secret values are redacted later). */
export function displayUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

function responseBody(res: OutboundResponse): Json {
  const contentType = res.headers['content-type'];
  const text = decodeBody(res.body, contentType);
  if (!res.truncated && isJsonContentType(contentType) && text.trim() !== '') {
    try {
      return JSON.parse(text) as Json;
    } catch {
      return text;
    }
  }
  return text;
}

function excerpt(res: OutboundResponse): string {
  const text = decodeBody(res.body.subarray(0, ERROR_BODY_EXCERPT * 4), res.headers['content-type']).replace(/\s+/g, ' ').trim();
  if (text === '') return '(empty body)';
  return text.length > ERROR_BODY_EXCERPT ? `${text.slice(0, ERROR_BODY_EXCERPT)}…` : text;
}

export async function runHttp(input: OutboundInput<HttpParams>, deps: HttpActivityDeps): Promise<HttpResult> {
  const { params, redactor } = fillSecrets(input.params, input.secretFields ?? [], deps.env);
  addDerivedSecrets(params, redactor);
  const key = idempotencyKey(input.workflowId, input.stepPath);
  const accepts = parseExpect(params.expect);
  const req = prepareHttpRequest(params, key);
  const label = redactor.text(`${req.method} ${displayUrl(req.url)}`);
  const ctx = activityContext();
  const started = Date.now();

  const res = await sendRequest({
    method: req.method,
    url: req.url,
    headers: req.headers,
    body: req.body,
    guard: deps.guard,
    maxBodyBytes: MAX_RESULT_BODY_BYTES,
    label,
  });
  deps.logger?.info(
    {
      workflowId: input.workflowId,
      stepPath: input.stepPath,
      attempt: ctx?.info.attempt,
      request: label,
      status: res.status,
      duration_ms: Date.now() - started,
    },
    'http step answered',
  );

  if (!accepts(res.status)) {
    const what = `${label} → ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    if (isRetryableStatus(res.status)) {
      const retryAfter = parseRetryAfter(res.headers['retry-after']);
      const wait = retryAfter !== undefined ? ` (server asks to retry in ${Math.round(retryAfter / 1000)} s)` : '';
      throw transientFailure(TRANSIENT.httpStatus, redactor.text(`${what}${wait}: ${excerpt(res)}`), retryAfter);
    }
    const location = res.headers['location'];
    const why = res.status >= 300 && res.status < 400 && location
      ? `redirect to ${location} not followed (call that URL, or add ${res.status} to expect)`
      : excerpt(res);
    const expected = params.expect !== undefined ? ` (expected ${JSON.stringify(params.expect)})` : '';
    throw permanentFailure(PERMANENT.httpRejected, redactor.text(`${what}${expected}: ${why}`));
  }

  const result: HttpResult = {
    status: res.status,
    ok: res.status >= 200 && res.status < 300,
    headers: redactor.json(res.headers) as Record<string, string>,
    body: redactor.json(responseBody(res)),
  };
  if (res.truncated) result.truncated = true;
  return result;
}

/** Secrets also travel encoded (Basic auth); their encoded form must not leak back either. */
function addDerivedSecrets(params: HttpParams, redactor: Redactor): void {
  if (redactor.size === 0) return;
  const basic = params.auth?.basic;
  if (basic && redactor.text(`${basic.username}:${basic.password}`) !== `${basic.username}:${basic.password}`) {
    redactor.add(Buffer.from(`${basic.username}:${basic.password}`, 'utf8').toString('base64'));
  }
}
