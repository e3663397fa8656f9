// Durations in recipes: `500ms`, `10s`, `5m`, `1h`, `1d`, and sums like `1h30m` or `1m30.5s`.
// The one parser and formatter of them. PURE (workflow sandbox).
// Not the `ms` package: it has no sums (`1h30m`), takes what a recipe must not (`5 m`, `-5s`, `1w`,
// a bare `10` as milliseconds), and formats by rounding (90 s → "2m"), where a message needs exact.

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
    throw new DurationError(`invalid duration ${JSON.stringify(text)}: use a number and a unit (ms, s, m, h, d), e.g. "500ms", "10s", "5m", "1h30m"`);
  }
  let total = 0;
  for (const m of s.matchAll(PART)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Math.round(total);
}

/** Milliseconds in the largest unit that holds them whole: 300000 → `5m`, 90000 → `90s`, 1500 → `1500ms`. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms !== 0 && ms % UNIT_MS[unit]! === 0) return `${ms / UNIT_MS[unit]!}${unit}`;
  }
  return ms === 0 ? '0s' : `${ms}ms`;
}

/** True when `text` is a duration parseDuration accepts. */
export function isDuration(text: string): boolean {
  return typeof text === 'string' && WHOLE.test(text.trim());
}
