// Shared builders for the provider tests: requests, sources, fixtures, and an IngressError matcher.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Json, SourceConfig } from '../../../src/core/types.js';
import { IngressError } from '../../../src/ingress/errors.js';
import { parseBody } from '../../../src/ingress/parse-body.js';
import type { WebhookRequest } from '../../../src/providers/index.js';

export const NOW = new Date('2024-04-15T10:00:00Z');
export const NOW_S = Math.floor(NOW.getTime() / 1000);

export function fixture(path: string): Buffer {
  return readFileSync(fileURLToPath(new URL(`../../fixtures/providers/${path}`, import.meta.url)));
}

export function fixtureHeaders(path: string): Record<string, string> {
  return JSON.parse(fixture(path).toString('utf8')) as Record<string, string>;
}

export function source(provider: string, secrets: string[], extra: Partial<SourceConfig> = {}): SourceConfig {
  const envVar = `${provider.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_WEBHOOK_SECRET`;
  return { name: provider, provider, secrets, secretOrigin: envVar, maxBody: 1 << 20, ...extra };
}

/** A request as the ingress builds it: lower-case header names; Content-Type defaults to JSON. */
export function request(opts: {
  body: Buffer | string;
  headers?: Record<string, string | string[]>;
  url?: string;
  method?: string;
  query?: Record<string, string | string[]>;
}): WebhookRequest {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
  headers['content-type'] ??= 'application/json';
  const url = opts.url ?? 'https://hooks.example.com/hooks/test';
  const query: Record<string, string | string[]> = opts.query ?? {};
  if (!opts.query) for (const [k, v] of new URL(url).searchParams) query[k] = v;
  return {
    method: opts.method ?? 'POST',
    publicUrl: url,
    headers,
    rawBody: Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body, 'utf8'),
    query,
    receivedAt: NOW,
  };
}

export function bodyOf(req: WebhookRequest): Json {
  const ct = req.headers['content-type'];
  return parseBody(req.rawBody, Array.isArray(ct) ? ct[0] : ct, req.method, req.query);
}

/** Asserts `fn` throws an IngressError with that status and code, whose message contains every `mentions`. */
export function assertIngressError(fn: () => unknown, status: number, code: string, ...mentions: string[]): IngressError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof IngressError, `expected IngressError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.status, status, caught.message);
  for (const m of mentions) assert.ok(caught.message.includes(m), `message "${caught.message}" should mention "${m}"`);
  return caught;
}

/** Evaluate stand-in for presets that never call it. */
export function noEvaluate(): Json {
  throw new Error('this preset must not evaluate CEL');
}

/** Case-insensitive lookup in a signed header set. */
export function pick(headers: Record<string, string>, name: string): string {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name.toLowerCase()) return v;
  throw new Error(`header ${name} not signed`);
}
