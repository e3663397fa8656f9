// The verification core every preset is built on: HMAC helpers, constant-time comparison, header
// lookup that refuses ambiguous signature headers, timestamp tolerance, and secret rotation.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { GenericVerify, SourceConfig } from '../core/types.js';
import { IngressError } from './errors.js';
import type { WebhookRequest } from './types.js';

/** Replay window of the timestamped schemes (Stripe, Slack, Standard Webhooks, Zoom, Discord). */
export const DEFAULT_TOLERANCE_S = 300;

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';

export function hmac(alg: HmacAlgorithm, key: string | Buffer, ...parts: Array<string | Buffer>): Buffer {
  const mac = createHmac(alg, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

export function digest(alg: 'sha1' | 'sha256', ...parts: Array<string | Buffer>): Buffer {
  const hash = createHash(alg);
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Delivery id for providers that send none: the same body retried dedupes to the same run. */
export function bodyHashId(raw: Buffer): string {
  return digest('sha256', raw).toString('hex').slice(0, 32);
}

/** Constant-time equality; unequal lengths still spend a comparison so length is all that leaks. */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** Signature text → bytes; undefined when it is not hex/base64 at all (so it cannot match). */
export function decodeSignature(text: string, encoding: 'hex' | 'base64'): Buffer | undefined {
  const t = text.trim();
  if (encoding === 'hex') return /^(?:[0-9a-fA-F]{2})+$/.test(t) ? Buffer.from(t, 'hex') : undefined;
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(t) ? Buffer.from(t, 'base64') : undefined;
}

/**
 * True when some secret's expected MAC equals some signature sent. Every pair is compared (no early
 * exit), so timing does not tell which secret or which signature matched.
 */
export function matchAny(secrets: readonly string[], given: readonly Buffer[], expected: (secret: string) => Buffer | undefined): boolean {
  let found = false;
  for (const secret of secrets) {
    const want = expected(secret);
    if (!want) continue;
    for (const sig of given) if (safeEqual(want, sig)) found = true;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Headers and query

/** First value of a header (lower-cased lookup); for non-signature headers such as the event type. */
export function headerValue(req: WebhookRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  if (Array.isArray(v)) return v[0];
  return v;
}

/** A query parameter from the parsed query, else from the public URL (both may be given). */
export function queryParam(req: WebhookRequest, name: string): string | undefined {
  if (Object.hasOwn(req.query, name)) {
    const v = req.query[name];
    return Array.isArray(v) ? v[0] : v;
  }
  try {
    return new URL(req.publicUrl).searchParams.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

export interface SignatureHeaderOptions {
  /** The value can never contain a comma (hex/base64), so one means Node joined two copies of the header. */
  noComma?: boolean;
}

/**
 * The value of the first of `names` (display spelling, e.g. `X-Hub-Signature-256`) that was sent.
 * Missing → 401 naming the header; sent twice with different values → 401 (which one would we trust?).
 */
export function signatureHeader(
  req: WebhookRequest,
  names: readonly string[],
  label: string,
  opts: SignatureHeaderOptions = {},
): { name: string; value: string } {
  for (const name of names) {
    const raw = req.headers[name.toLowerCase()];
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? [...new Set(raw)] : [raw];
    const value = values[0]?.trim() ?? '';
    if (values.length > 1 || (opts.noComma && value.includes(','))) {
      throw new IngressError(
        401,
        'duplicate_header',
        `${name} was sent more than once with different values; a ${label} delivery carries exactly one. ` +
          'Check for a proxy that adds its own copy of the header.',
      );
    }
    if (value === '') continue;
    return { name, value };
  }
  throw missingHeader(names, label);
}

export function missingHeader(names: readonly string[], label: string): IngressError {
  const which = names.length === 1 ? `header ${names[0]}` : `header ${names.join(' or ')}`;
  return new IngressError(
    401,
    'missing_signature',
    `${label} signature ${which} is missing. Is this URL configured as a ${label} webhook with signing on, ` +
      'and does every proxy in front of hookflow pass the header through?',
  );
}

// ---------------------------------------------------------------------------------------------
// Timestamps

/**
 * Parses a Unix-seconds timestamp header and refuses it outside ±tolerance of `now`: a replayed old
 * delivery and one dated in the future (a clock off, or a forged date to outlive the window) alike.
 */
export function checkTimestamp(value: string, headerName: string, now: Date, toleranceS: number = DEFAULT_TOLERANCE_S): number {
  if (!/^\d{1,12}$/.test(value.trim())) {
    throw new IngressError(401, 'bad_timestamp', `${headerName} must be a Unix time in seconds; got "${value.slice(0, 40)}".`);
  }
  const ts = Number(value.trim());
  const skew = Math.round(now.getTime() / 1000 - ts);
  if (Math.abs(skew) > toleranceS) {
    const when = skew > 0 ? `${skew} s in the past` : `${-skew} s in the future`;
    throw new IngressError(
      401,
      'stale_timestamp',
      `${headerName} ${ts} (${new Date(ts * 1000).toISOString()}) is ${when}; the allowed skew is ${toleranceS} s either way. ` +
        "A replayed delivery is refused; if it is fresh, check this server's clock (NTP).",
    );
  }
  return ts;
}

// ---------------------------------------------------------------------------------------------
// Secrets and outcomes

export function isVerifyNone(v: GenericVerify | undefined): v is 'none' | { none: true } {
  return v === 'none' || (typeof v === 'object' && v !== null && 'none' in v && v.none === true);
}

/** The source's secrets (several during rotation); none configured → 401 naming where it should be. */
export function secretsOf(source: SourceConfig, label: string): string[] {
  const secrets = source.secrets.filter((s) => s !== '');
  if (secrets.length === 0) {
    throw new IngressError(
      401,
      'no_secret',
      `Source "${source.name}" (${label}) has no secret configured: ${source.secretOrigin || 'its secret'} is empty or unset. ` +
        `Set it to the ${label} signing secret (comma-separated to rotate), or declare \`verify: none\` for this source ` +
        'in sources.yaml to accept unsigned requests.',
    );
  }
  return secrets;
}

export function badSignature(source: SourceConfig, label: string, headerName: string, secretCount: number): IngressError {
  const tried = secretCount > 1 ? ` (${secretCount} secrets tried)` : '';
  return new IngressError(
    401,
    'bad_signature',
    `${headerName} does not match this request signed with the secret from ${source.secretOrigin || 'the source'}${tried}. ` +
      `Check that it holds the ${label} secret of this endpoint, and that nothing between ${label} and hookflow ` +
      're-encodes the body or changes the URL.',
  );
}
