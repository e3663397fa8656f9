// Event-type patterns: exact (`push`), glob (`group_channel:*`, `invoice.*`, `*`). `*` matches any run
// of characters, separators included. PURE.
const cache = new Map<string, RegExp | string>();

function compile(pattern: string): RegExp | string {
  let c = cache.get(pattern);
  if (c === undefined) {
    c = pattern.includes('*')
      ? new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)
      : pattern;
    cache.set(pattern, c);
  }
  return c;
}

export function isGlob(pattern: string): boolean {
  return pattern.includes('*');
}

export function globMatches(pattern: string, value: string): boolean {
  const c = compile(pattern);
  return typeof c === 'string' ? c === value : c.test(value);
}
