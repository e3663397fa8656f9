// The codec endpoint the Temporal UI and CLI call to show (and enter) encrypted payloads:
// `POST /codec/decode` and `POST /codec/encode`, each taking and returning `{"payloads":[…]}`
// in proto3 JSON form, where every bytes field (metadata values, data) is base64.
// The UI calls it from the user's browser, so it answers CORS (preflight included) for the UI's
// origin, and the request carries `X-Namespace`.
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';

export const CODEC_CORS_ORIGIN_ENV = 'HOOKFLOW_CODEC_CORS_ORIGIN';
export const CODEC_AUTH_TOKEN_ENV = 'HOOKFLOW_CODEC_AUTH_TOKEN';
/** The UI of `hookflow start`'s embedded dev server. */
export const DEFAULT_CODEC_CORS_ORIGIN = 'http://localhost:8233';

export interface CodecRouterOptions {
  /** Origins allowed to call from a browser (exact match, e.g. `http://localhost:8233`). */
  corsOrigins?: string[];
  /** When set, every encode/decode needs `Authorization: Bearer <token>`. */
  authToken?: string;
  /** Largest request body accepted (express/bytes syntax). */
  limit?: string;
}

/** Options from `HOOKFLOW_CODEC_CORS_ORIGIN` (comma-separated) and `HOOKFLOW_CODEC_AUTH_TOKEN`. */
export function codecRouterOptionsFromEnv(env: Record<string, string | undefined>): CodecRouterOptions {
  const origins = (env[CODEC_CORS_ORIGIN_ENV] ?? DEFAULT_CODEC_CORS_ORIGIN)
    .split(',')
    .map((o) => o.trim().replace(/\/+$/, ''))
    .filter((o) => o !== '');
  const token = env[CODEC_AUTH_TOKEN_ENV]?.trim();
  return { corsOrigins: origins, ...(token ? { authToken: token } : {}) };
}

/** A payload as proto3 JSON: bytes fields are base64 strings. */
export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

class BadRequest extends Error {}

const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

function bytesFromJson(value: unknown, where: string): Uint8Array {
  if (typeof value !== 'string' || !BASE64.test(value)) throw new BadRequest(`${where} must be a base64 string`);
  // proto3 JSON accepts both the standard and the URL-safe alphabet.
  return new Uint8Array(Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64'));
}

/** `{payloads:[{metadata:{k:b64},data:b64}]}` → Payload[]; a BadRequest names the field at fault. */
export function payloadsFromJson(body: unknown): Payload[] {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { payloads?: unknown }).payloads)) {
    throw new BadRequest('the body must be JSON {"payloads":[{"metadata":{…},"data":"<base64>"}]}');
  }
  return (body as { payloads: unknown[] }).payloads.map((p, i) => {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new BadRequest(`payloads[${i}] must be an object`);
    const { metadata, data } = p as { metadata?: unknown; data?: unknown };
    const out: Payload = { metadata: {} };
    if (metadata !== undefined && metadata !== null) {
      if (typeof metadata !== 'object' || Array.isArray(metadata)) throw new BadRequest(`payloads[${i}].metadata must be an object of base64 strings`);
      for (const [k, v] of Object.entries(metadata)) out.metadata![k] = bytesFromJson(v, `payloads[${i}].metadata.${k}`);
    }
    if (data !== undefined && data !== null) out.data = bytesFromJson(data, `payloads[${i}].data`);
    return out;
  });
}

export function payloadsToJson(payloads: Payload[]): { payloads: JsonPayload[] } {
  return {
    payloads: payloads.map((p) => {
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = Buffer.from(v).toString('base64');
      return { metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') };
    }),
  };
}

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * `POST /codec/encode`, `POST /codec/decode` and their CORS preflights. Mount at the root of an
 * express app; the endpoint to give the UI is then `<base URL>/codec`.
 */
export function codecRouter(codec: PayloadCodec, opts: CodecRouterOptions = {}): express.Router {
  const origins = new Set((opts.corsOrigins ?? [DEFAULT_CODEC_CORS_ORIGIN]).map((o) => o.replace(/\/+$/, '')));
  const wanted = opts.authToken ? digest(`Bearer ${opts.authToken}`) : undefined;
  const router = express.Router();

  const cors = (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    res.vary('Origin');
    if (origin && origins.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      // The UI may send its session cookie / access token (codec "include credentials").
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      if (!origin || !origins.has(origin)) {
        return sendError(
          res,
          403,
          'cors_origin_not_allowed',
          `origin ${origin ?? '(none)'} may not call the codec endpoint; add it to ${CODEC_CORS_ORIGIN_ENV} (comma-separated)`,
        );
      }
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Namespace');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };

  // Preflights carry no credentials, so the bearer check comes after them.
  const auth = (req: Request, res: Response, next: NextFunction): void => {
    if (!wanted) return next();
    const given = req.headers.authorization ?? '';
    if (!timingSafeEqual(digest(given), wanted)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="hookflow codec"');
      return sendError(res, 401, 'unauthorized', `the codec endpoint needs "Authorization: Bearer <token>" with the value of ${CODEC_AUTH_TOKEN_ENV}`);
    }
    next();
  };

  const json = express.json({ limit: opts.limit ?? '8mb', type: () => true });

  const handle =
    (op: 'encode' | 'decode') =>
    async (req: Request, res: Response): Promise<void> => {
      let payloads: Payload[];
      try {
        payloads = payloadsFromJson(req.body);
      } catch (err) {
        if (err instanceof BadRequest) return sendError(res, 400, 'invalid_payloads', err.message);
        throw err;
      }
      try {
        const out = op === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
        res.json(payloadsToJson(out));
      } catch (err) {
        sendError(res, 400, `${op}_failed`, err instanceof Error ? err.message : String(err));
      }
    };

  for (const op of ['encode', 'decode'] as const) {
    const path = `/codec/${op}`;
    router.options(path, cors);
    router.post(path, cors, auth, json, handle(op));
    router.all(path, cors, (req, res) => {
      res.setHeader('Allow', 'POST, OPTIONS');
      sendError(res, 405, 'method_not_allowed', `${req.method} is not accepted on ${path}; use POST`);
    });
  }

  // Malformed JSON or an oversized body, from express.json, answered in the house error shape.
  router.use('/codec', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const e = err as { status?: number; type?: string; message?: string };
    if (e?.type === 'entity.too.large') return sendError(res, 413, 'body_too_large', `the codec request is larger than ${opts.limit ?? '8mb'}`);
    if (e?.type === 'entity.parse.failed') return sendError(res, 400, 'invalid_json', `the codec request is not valid JSON: ${e.message ?? ''}`);
    next(err);
  });

  return router;
}
