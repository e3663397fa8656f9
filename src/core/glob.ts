// Event-type patterns: exact (`push`), glob (`group_channel:*`, `invoice.*`, `*`). `*` matches any run
// of characters (also none), separators included; everything else is literal. PURE.
const cache = new Map<string, RegExp>();

export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((lit) => lit.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}

/** True when one event type matches one pattern (exact or glob); compiled globs are cached. */
export function globMatches(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  let re = cache.get(pattern);
  if (!re) {
    re = globToRegExp(pattern);
    if (cache.size < 10_000) cache.set(pattern, re);
  }
  return re.test(value);
}

/** True when a pattern is a glob rather than an exact event type. */
export function isGlob(pattern: string): boolean {
  return pattern.includes('*');
}
