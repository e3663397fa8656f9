// Any provider, configured in sources.yaml: `verify` says how requests are authenticated (hmac over
// the raw body, a shared token in a header or the query, HTTP Basic, or explicitly none); `event`
// and `id` are CEL over `{ body, headers, query }`.
import type { GenericVerify, Json, SourceConfig } from '../core/types.js';
import { IngressError } from './errors.js';
import {
  badSignature,
  bodyHashId,
  decodeSignature,
  headerValue,
  hmac,
  isVerifyNone,
  matchAny,
  missingHeader,
  queryParam,
  safeEqual,
  secretsOf,
  signatureHeader,
} from './verify-core.js';
import { flattenHeaders } from '../http/headers.js';
import { mergeHeaders } from './fields.js';
import type { Evaluate, Provider, WebhookRequest } from './types.js';

const LABEL = 'generic';

type Configured = Exclude<GenericVerify, 'none' | { none: true }>;

/** Lower-case header names that carry this source's credential (to strip from stored events). */
export function credentialHeaders(verify: GenericVerify | undefined): string[] {
  if (verify === undefined || isVerifyNone(verify)) return [];
  if ('hmac' in verify) return [verify.header.toLowerCase()];
  if ('token' in verify) return verify.token.header ? [verify.token.header.toLowerCase()] : [];
  return ['authorization'];
}

/** Query parameters that carry this source's credential (`token: {query: …}`): kept out of stored events. */
export function credentialQueryParams(verify: GenericVerify | undefined): string[] {
  if (verify === undefined || isVerifyNone(verify) || !('token' in verify) || !verify.token.query) return [];
  return [verify.token.query];
}

function textEq(a: string, b: string): boolean {
  return safeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function verifyHmac(req: WebhookRequest, source: SourceConfig, v: Extract<Configured, { hmac: unknown }>, secrets: string[]): void {
  const sig = signatureHeader(req, [v.header], LABEL);
  const prefix = v.prefix ?? '';
  const value = sig.value;
  const body = value.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase() ? value.slice(prefix.length) : undefined;
  const given = body === undefined ? undefined : decodeSignature(body, v.encoding ?? 'hex');
  const ok = given !== undefined && matchAny(secrets, [given], (secret) => hmac(v.hmac, secret, req.rawBody));
  if (!ok) throw badSignature(source, `${v.hmac.toUpperCase()} HMAC`, v.header, secrets.length);
}

function verifyToken(req: WebhookRequest, source: SourceConfig, v: Extract<Configured, { token: unknown }>, secrets: string[]): void {
  const sent: string[] = [];
  const where: string[] = [];
  if (v.token.header) {
    where.push(v.token.header);
    const h = headerValue(req, v.token.header);
    // `Authorization: Bearer <token>` carries the token after the scheme.
    if (h !== undefined) sent.push(h.trim(), h.trim().replace(/^Bearer\s+/i, ''));
  }
  if (v.token.query) {
    where.push(`query parameter ${v.token.query}`);
    const q = queryParam(req, v.token.query);
    if (q !== undefined) sent.push(q);
  }
  if (sent.length === 0) throw missingHeader(where, 'token');
  let ok = false;
  for (const secret of secrets) for (const s of sent) if (textEq(s, secret)) ok = true;
  if (!ok) throw badSignature(source, 'token', where.join(' / '), secrets.length);
}

function verifyBasic(req: WebhookRequest, source: SourceConfig, v: Extract<Configured, { basic: unknown }>, secrets: string[]): void {
  const auth = headerValue(req, 'authorization');
  if (!auth) throw missingHeader(['Authorization'], 'HTTP Basic');
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth);
  const decoded = m?.[1] ? Buffer.from(m[1], 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? '' : decoded.slice(0, colon);
  const pass = colon < 0 ? '' : decoded.slice(colon + 1);
  let ok = textEq(user, v.basic.username);
  let passOk = false;
  for (const secret of secrets) if (textEq(pass, secret)) passOk = true;
  ok = ok && passOk;
  if (!ok) {
    throw new IngressError(
      401,
      'bad_signature',
      `Authorization (HTTP Basic) does not carry user "${v.basic.username}" with the password from ${source.secretOrigin || 'the source'}.`,
    );
  }
}

function scalarText(v: Json): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

export const generic: Provider = {
  name: 'generic',
  sensitiveHeaders: ['authorization'],

  verify(req, source) {
    const v = source.verify;
    if (v === undefined) {
      throw new IngressError(
        401,
        'no_verify',
        `Source "${source.name}" (generic) declares no \`verify:\` in sources.yaml, so its requests cannot be told from anyone's. ` +
          'Add `verify: {hmac: sha256, header: X-Signature, …}`, `{token: {header: …}}` or `{basic: {username: …}}`, ' +
          'or `verify: none` to accept unsigned requests.',
      );
    }
    if (isVerifyNone(v)) return;
    const secrets = secretsOf(source, LABEL);
    if ('hmac' in v) verifyHmac(req, source, v, secrets);
    else if ('token' in v) verifyToken(req, source, v, secrets);
    else verifyBasic(req, source, v, secrets);
  },

  describe(req, body, source, evaluate: Evaluate) {
    const ctx = { body, headers: flattenHeaders(req.headers), query: req.query };
    // With no `event:` every delivery is of one type; recipes match it with `event: webhook` or `*`.
    let type = 'webhook';
    if (source.event) {
      let result: Json;
      try {
        result = evaluate(source.event, ctx);
      } catch (err) {
        throw new IngressError(
          400,
          'no_event_type',
          `The event expression \`${source.event}\` of source "${source.name}" failed on this delivery: ${(err as Error).message}`,
        );
      }
      const text = scalarText(result);
      if (text === undefined) {
        throw new IngressError(
          400,
          'no_event_type',
          `The event expression \`${source.event}\` of source "${source.name}" gave ${JSON.stringify(result) ?? 'nothing'}; it must give a non-empty string.`,
        );
      }
      type = text;
    }
    let id: string | undefined;
    if (source.id) {
      try {
        id = scalarText(evaluate(source.id, ctx));
      } catch {
        id = undefined; // spec: the id expression, else the body hash
      }
    }
    return { type, id: id ?? bodyHashId(req.rawBody) };
  },

  sign({ body, secret, url, contentType, headers, source }) {
    const base = { 'Content-Type': contentType };
    const v = source?.verify;
    if (v === undefined || isVerifyNone(v)) return { headers: mergeHeaders(base, headers) };
    if ('hmac' in v) {
      const mac = hmac(v.hmac, secret, body).toString(v.encoding ?? 'hex');
      return { headers: mergeHeaders(base, headers, { [v.header]: (v.prefix ?? '') + mac }) };
    }
    if ('token' in v) {
      if (v.token.header) return { headers: mergeHeaders(base, headers, { [v.token.header]: secret }) };
      const u = new URL(url);
      if (v.token.query) u.searchParams.set(v.token.query, secret);
      return { headers: mergeHeaders(base, headers), url: u.toString() };
    }
    const basic = Buffer.from(`${v.basic.username}:${secret}`, 'utf8').toString('base64');
    return { headers: mergeHeaders(base, headers, { Authorization: `Basic ${basic}` }) };
  },
};
