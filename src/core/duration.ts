// Durations in recipes: `500ms`, `10s`, `5m`, `1h`, `1d`, and sums like `1h30m` or `1m30.5s`.
// PURE (workflow sandbox).

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

/** Parses a duration into milliseconds (rounded to a whole ms). Throws DurationError. */
export function parseDuration(text: string): number {
  const s = typeof text === 'string' ? text.trim() : '';
  if (!WHOLE.test(s)) {
    throw new DurationError(
      `invalid duration ${JSON.stringify(text)}: use a number and a unit (ms, s, m, h, d), e.g. "500ms", "10s", "5m", "1h30m"`,
    );
  }
  let total = 0;
  for (const m of s.matchAll(PART)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Math.round(total);
}

/** True when `text` is a duration parseDuration accepts. */
export function isDuration(text: string): boolean {
  return typeof text === 'string' && WHOLE.test(text.trim());
}
