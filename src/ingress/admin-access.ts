// The admin access rule (spec §6) for everything that is not a trigger URL or /healthz — /metrics,
// /codec/*, and later /api/* and /console: with HOOKFLOW_ADMIN_TOKEN set every caller must send
// `Authorization: Bearer <token>`, loopback included; unset, only loopback clients are served.
// Written against node:http types so the worker's own METRICS_PORT server uses it as well as express.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BlockList } from 'node:net';

export const ADMIN_TOKEN_ENV = 'HOOKFLOW_ADMIN_TOKEN';

export interface AdminToken {
  token: string;
  /** The variable that holds it, named in refusals. */
  env: string;
}

export interface AdminAccessOptions {
  /** Tokens accepted besides HOOKFLOW_ADMIN_TOKEN on this endpoint (the codec's own HOOKFLOW_CODEC_AUTH_TOKEN). */
  extraTokens?: AdminToken[];
  /** Let CORS preflights through: browsers send them without credentials, and they reveal nothing. */
  allowPreflight?: boolean;
  /**
   * The console's login cookie (CONSOLE_COOKIE, SameSite=Strict, set by /console/login) counts as the
   * token too: for GET, and for other methods only with the `X-Hookflow-Console` header, which a
   * cross-site form cannot send.
   */
  consoleCookie?: boolean;
}

export const CONSOLE_COOKIE = 'hookflow_admin';

/** The value of the console's login cookie in a Cookie header, if any. */
export function consoleCookieOf(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === CONSOLE_COOKIE) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export type AdminAccessMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Headers a reverse proxy adds: a request carrying one came from elsewhere, whatever the socket says. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

/** 127.0.0.0/8, ::1 and ::ffff:127.x.y.z (BlockList matches IPv4-mapped addresses against IPv4 rules). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const text = address.replace(/%.*$/, '');
  try {
    return LOOPBACK.check(text, text.includes(':') ? 'ipv6' : 'ipv4');
  } catch {
    return false;
  }
}

/** A loopback peer that did not relay someone else's request (a proxy on the same host would). */
export function isLocalClient(req: IncomingMessage): boolean {
  return isLoopbackAddress(req.socket.remoteAddress) && !FORWARDING_HEADERS.some((h) => req.headers[h] !== undefined);
}

/** The tokens configured for an endpoint: HOOKFLOW_ADMIN_TOKEN plus any extra; blank values are unset. */
export function adminTokens(env: Record<string, string | undefined>, extra: AdminToken[] = []): AdminToken[] {
  const admin = env[ADMIN_TOKEN_ENV]?.trim();
  return [...(admin ? [{ token: admin, env: ADMIN_TOKEN_ENV }] : []), ...extra.filter((t) => t.token.trim() !== '')];
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function pathOf(req: IncomingMessage): string {
  // Express strips a mount path from req.url and keeps the whole one in originalUrl.
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '';
  return url.split('?')[0] || 'this endpoint';
}

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

/** The middleware; decide once per process which tokens count. */
export function adminAccess(env: Record<string, string | undefined>, opts: AdminAccessOptions = {}): AdminAccessMiddleware {
  const tokens = adminTokens(env, opts.extraTokens);
  // Hashing both sides gives equal lengths, so timingSafeEqual compares without leaking the length.
  const wanted = tokens.map((t) => digest(`Bearer ${t.token}`));
  const names = tokens.map((t) => t.env).join(' or ');

  return (req, res, next) => {
    if (opts.allowPreflight && req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) return next();
    if (wanted.length === 0) {
      if (isLocalClient(req)) return next();
      const from = req.socket.remoteAddress ?? 'an unknown address';
      const via = FORWARDING_HEADERS.some((h) => req.headers[h] !== undefined) ? ' (through a proxy)' : '';
      return refuse(
        res,
        403,
        'admin_loopback_only',
        `${pathOf(req)} answers only clients on this machine while ${ADMIN_TOKEN_ENV} is unset, and this request comes from ${from}${via}. ` +
          `Set ${ADMIN_TOKEN_ENV} and send "Authorization: Bearer <token>" to call it from elsewhere.`,
      );
    }
    const given = digest(req.headers.authorization ?? '');
    let ok = false;
    for (const w of wanted) if (timingSafeEqual(given, w)) ok = true;
    const cookie = opts.consoleCookie ? consoleCookieOf(req) : undefined;
    if (!ok && cookie !== undefined && (req.method === 'GET' || req.headers['x-hookflow-console'] === '1')) {
      const fromCookie = digest(`Bearer ${cookie}`);
      for (const w of wanted) if (timingSafeEqual(fromCookie, w)) ok = true;
    }
    if (ok) return next();
    res.setHeader('WWW-Authenticate', 'Bearer realm="hookflow"');
    refuse(
      res,
      401,
      'unauthorized',
      `${pathOf(req)} needs "Authorization: Bearer <token>" with the value of ${names}` +
        `${req.headers.authorization === undefined ? ' (no Authorization header was sent)' : ' (the token sent does not match)'}.`,
    );
  };
}
