// The `http` step: one request per attempt, classified for Temporal's retry policy
// (network errors, timeouts, 408, 429, 5xx retry — honouring Retry-After; other 4xx fail at once).
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { stringifyValue } from '../core/template.js';
import { standardWebhooksSignature } from '../http/standard-webhooks.js';
import type { HttpParams, HttpResult, Json, OutboundInput, SecretField } from '../core/types.js';
import { ApplicationFailure } from '@temporalio/common';
import { PERMANENT, TRANSIENT, isApplicationFailure, isRetryableStatus, parseRetryAfter, permanentFailure, transientFailure } from './failures.js';
import { noteAttempt } from './attempt-facts.js';
import type { OutboundGuard } from './outbound-guard.js';
import { idempotencyKey } from './ids.js';
import { fillSecrets, resolveSecret, secretEnvNames, type Env, type Redactor } from './secrets.js';
import { decodeBody, isJsonContentType, sendRequest, type OutboundResponse } from './transport.js';

/** Responses above this are cut, so one big answer cannot bloat the run's history. */
export const MAX_RESULT_BODY_BYTES = 64 * 1024;
/** How much of a failed response's body goes into the error message. */
const ERROR_BODY_EXCERPT = 500;

export interface HttpActivityDeps {
  env: Env;
  guard: OutboundGuard;
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

/** `query:` and `form:` fields: a list repeats the name; a null (at either level) sends nothing; values are written as templates write them. */
function appendParams(target: URLSearchParams, record: Record<string, Json>): void {
  for (const [key, value] of Object.entries(record)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== null && v !== undefined) target.append(key, stringifyValue(v));
    }
  }
}

/**
 * Turns validated step params into the request to send (no secrets resolved here; no I/O).
 * `redact` scrubs what goes into messages: the params may already hold secrets.
 */
export function prepareHttpRequest(
  params: HttpParams,
  key: string,
  now: () => number = Date.now,
  redact: (text: string) => string = (t) => t,
): PreparedRequest {
  if (typeof params.url !== 'string' || params.url === '') {
    throw permanentFailure(PERMANENT.invalidParams, 'http step: `url` is empty');
  }
  let url: URL;
  try {
    url = new URL(params.url);
  } catch {
    throw permanentFailure(PERMANENT.invalidParams, `http step: \`url\` is not an absolute URL: ${redact(params.url).slice(0, 200)}`);
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
      throw permanentFailure(
        PERMANENT.invalidParams,
        `http step: header ${JSON.stringify(name)} has an invalid name or value (control or non-Latin-1 characters)`,
      );
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

/** `v1,<base64 signature>` of the Standard Webhooks scheme, as its verifiers (ours included) check it. */
export function signStandardWebhook(secret: string, id: string, timestampSeconds: number, body: Buffer): string {
  try {
    return standardWebhooksSignature(secret, id, String(timestampSeconds), body);
  } catch (err) {
    throw permanentFailure(PERMANENT.invalidParams, `http step: sign.standard-webhooks: ${(err as Error).message}`);
  }
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

/** The URL as shown in messages and logs: no user-info; the query is kept (secret values are redacted later). */
export function displayUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

/** The response body for the run's history, with secrets redacted (also one the size cap cut in two). */
function responseBody(res: OutboundResponse, redactor: Redactor): Json {
  const contentType = res.headers['content-type'];
  const text = decodeBody(res.body, contentType);
  if (res.truncated) return redactor.cutText(text);
  if (isJsonContentType(contentType) && text.trim() !== '') {
    try {
      return redactor.json(JSON.parse(text) as Json);
    } catch {
      return redactor.text(text);
    }
  }
  return redactor.text(text);
}

/** The start of a failed response's body for the error message: redacted whole first, then cut. */
function excerpt(res: OutboundResponse, redactor: Redactor): string {
  const decoded = decodeBody(res.body, res.headers['content-type']);
  const text = redactor.excerpt(res.truncated ? redactor.cutText(decoded) : decoded, ERROR_BODY_EXCERPT);
  return text === '' ? '(empty body)' : text;
}

/** A failure from below (guard, transport, parameters) with secrets scrubbed from its message. */
function redactFailure(err: unknown, redactor: Redactor): unknown {
  if (!isApplicationFailure(err) || redactor.size === 0) return err;
  const message = redactor.text(err.message);
  if (message === err.message) return err;
  return ApplicationFailure.create({
    type: err.type ?? undefined,
    message,
    nonRetryable: err.nonRetryable === true,
    ...(err.nextRetryDelay !== undefined && err.nextRetryDelay !== null ? { nextRetryDelay: err.nextRetryDelay } : {}),
  });
}

export async function runHttp(input: OutboundInput<HttpParams>, deps: HttpActivityDeps): Promise<HttpResult> {
  const { params, redactor } = fillSecrets(input.params, input.secretFields ?? [], deps.env);
  addDerivedSecrets(params, redactor);
  try {
    checkSecretBase(input.secretFields ?? [], deps.env);
    return await exchange(input, params, redactor, deps);
  } catch (err) {
    throw redactFailure(err, redactor);
  }
}

async function exchange(input: OutboundInput<HttpParams>, params: HttpParams, redactor: Redactor, deps: HttpActivityDeps): Promise<HttpResult> {
  const key = idempotencyKey(input.workflowId, input.stepPath);
  const accepts = parseExpect(params.expect);
  const req = prepareHttpRequest(params, key, Date.now, (t) => redactor.text(t));
  addUserInfoSecret(req.url, redactor);
  const label = redactor.text(`${req.method} ${displayUrl(req.url)}`);

  const res = await sendRequest({
    method: req.method,
    url: req.url,
    headers: req.headers,
    body: req.body,
    guard: deps.guard,
    maxBodyBytes: MAX_RESULT_BODY_BYTES,
    label,
  });
  noteAttempt({ request: label, status: res.status });

  if (!accepts(res.status)) {
    const what = `${label} → ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    if (isRetryableStatus(res.status)) {
      const retryAfter = parseRetryAfter(res.headers['retry-after']);
      const wait = retryAfter !== undefined ? ` (server asks to retry in ${Math.round(retryAfter / 1000)} s)` : '';
      throw transientFailure(TRANSIENT.httpStatus, redactor.text(`${what}${wait}: ${excerpt(res, redactor)}`), retryAfter);
    }
    const location = res.headers['location'];
    const why =
      res.status >= 300 && res.status < 400 && location
        ? `redirect to ${location} not followed (call that URL, or add ${res.status} to expect)`
        : excerpt(res, redactor);
    const expected = params.expect !== undefined ? ` (expected ${JSON.stringify(params.expect)})` : '';
    throw permanentFailure(PERMANENT.httpRejected, redactor.text(`${what}${expected}: ${why}`));
  }

  const result: HttpResult = {
    status: res.status,
    ok: res.status >= 200 && res.status < 300,
    headers: redactor.json(res.headers) as Record<string, string>,
    body: responseBody(res, redactor),
  };
  if (res.truncated) result.truncated = true;
  return result;
}

/**
 * `{{ secret.API_URL }}/users/…`: a secret that begins the url is inserted as written (it is
 * configuration, not event data), so it has to be a URL of its own — not a host or a path.
 */
function checkSecretBase(fields: readonly SecretField[], env: Env): void {
  const field = fields.find((f) => f.path.length === 1 && f.path[0] === 'url');
  const first = field?.parts[0];
  if (first === undefined || typeof first === 'string') return;
  let url: URL | undefined;
  try {
    url = new URL(resolveSecret(first.secret, env));
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw permanentFailure(
      PERMANENT.invalidParams,
      `http step: secret.${first.secret} begins the url, so it must be an absolute http(s) URL like https://api.example.com; check the value of ${secretEnvNames(first.secret).at(-1)}`,
    );
  }
}

/** A URL's user-info travels as Basic auth: when it holds a secret, so does the header's base64. */
function addUserInfoSecret(url: URL, redactor: Redactor): void {
  if (redactor.size === 0 || (url.username === '' && url.password === '')) return;
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  if (redactor.text(pair) !== pair) redactor.add(Buffer.from(pair, 'utf8').toString('base64'));
}

/** Secrets also travel encoded (Basic auth); their encoded form must not leak back either. */
function addDerivedSecrets(params: HttpParams, redactor: Redactor): void {
  if (redactor.size === 0) return;
  const basic = params.auth?.basic;
  if (basic && redactor.text(`${basic.username}:${basic.password}`) !== `${basic.username}:${basic.password}`) {
    redactor.add(Buffer.from(`${basic.username}:${basic.password}`, 'utf8').toString('base64'));
  }
}
