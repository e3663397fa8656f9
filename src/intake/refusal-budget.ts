// How many refused requests per source the request log keeps per second: a token bucket per source.
// Refusals are recorded so a user can see why a webhook did not fire; a flood of junk (a scanner, a
// misconfigured sender) must not turn that into unbounded disk writes. Past the budget a refusal is
// still answered and counted in /metrics, just not stored.

export class RefusalBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond = 20,
    private readonly burst = 200,
    private readonly maxKeys = 10_000,
  ) {}

  /** True when a refusal of `key` may be recorded now. */
  take(key: string, now: number = Date.now()): boolean {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.buckets.clear();
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
