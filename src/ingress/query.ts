// The query string as recipes see it (`query`, and `event` of a GET): a repeated name gives a list.
// Names that reach Object.prototype through a later merge (`__proto__`, `constructor`, `prototype`)
// are dropped, as the body parsers drop them from bodies.
import type { Json } from '../core/types.js';
import { FORBIDDEN_KEYS } from './body-guards.js';

export function queryOf(originalUrl: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  const url = new URL(originalUrl, 'http://x');
  for (const key of new Set(url.searchParams.keys())) {
    if (FORBIDDEN_KEYS.has(key)) continue;
    const all = url.searchParams.getAll(key);
    out[key] = all.length === 1 ? all[0]! : all;
  }
  return out;
}

/** The event of a GET: its query, as a plain object. */
export function queryBody(query: Record<string, string | string[]>): Json {
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(query)) {
    if (FORBIDDEN_KEYS.has(k)) continue;
    out[k] = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v : String(v);
  }
  return out;
}
