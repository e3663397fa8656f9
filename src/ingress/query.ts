// The query string as recipes see it (`query`): a repeated name gives a list. The object has no
// prototype, and names that reach Object.prototype through a later merge (`__proto__`,
// `constructor`, `prototype`) are dropped, as the body parser drops them from bodies.
import { FORBIDDEN_KEYS } from './parse-body.js';

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
