// Reading event types and delivery ids out of a parsed body, and the headers `sign()` starts from.
import type { Json } from '../core/types.js';
import { IngressError } from './errors.js';

/** The value at `path` when it is a non-empty string or a finite number (as text). */
export function textAt(body: Json, path: readonly string[]): string | undefined {
  let cur: Json | undefined = body;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, key)) return undefined;
    cur = cur[key];
  }
  if (typeof cur === 'string') return cur === '' ? undefined : cur;
  if (typeof cur === 'number' && Number.isFinite(cur)) return String(cur);
  return undefined;
}

export function noEventType(label: string, expected: string): IngressError {
  return new IngressError(400, 'no_event_type', `This ${label} delivery carries no event type: expected ${expected}.`);
}

/**
 * Headers for `hookflow send`: Content-Type, then the provider's defaults, then the user's
 * (`--header` wins over a guessed event type), then the signature (always the provider's own).
 * Names compare case-insensitively; the last spelling wins.
 */
export function mergeHeaders(...layers: Array<Record<string, string> | undefined>): Record<string, string> {
  const byLower = new Map<string, [string, string]>();
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) byLower.set(k.toLowerCase(), [k, v]);
  }
  return Object.fromEntries(byLower.values());
}

/** A user-supplied header, case-insensitively. */
export function userHeader(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

export function parseJsonObject(raw: Buffer): Record<string, Json> | undefined {
  try {
    const v: unknown = JSON.parse(raw.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, Json>) : undefined;
  } catch {
    return undefined;
  }
}
