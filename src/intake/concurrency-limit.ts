// How many starts the dispatcher keeps in flight against Temporal: found, not configured. Temporal's
// start rate is the real limit and it moves (server load, persistence, other tenants), so the limit
// adapts like TCP's congestion window (AIMD) with a latency signal as in Netflix's concurrency-limits:
// - each success grows the limit by 1/limit (so +1 per "round" of starts) while latency stays near
//   the best seen recently;
// - latency well above that (the server queues) shrinks it by 10 %, at most once per round;
// - a failure (Temporal unavailable, overloaded, deadline exceeded) halves it.
// PURE: no timers, no I/O; the dispatcher feeds it samples.

export interface LimitOptions {
  initial?: number;
  min?: number;
  max?: number;
  /** Latency above `tolerance` × the recent best counts as queueing. */
  tolerance?: number;
}

export class ConcurrencyLimit {
  private value: number;
  private readonly min: number;
  private readonly max: number;
  private readonly tolerance: number;
  /** Best latency seen recently (ms); decays upward so a past lucky sample does not pin it. */
  private best = Number.POSITIVE_INFINITY;
  /** Samples left before another decrease may happen (one decrease per round of `limit` samples). */
  private cooldown = 0;

  constructor(opts: LimitOptions = {}) {
    this.min = Math.max(1, opts.min ?? 1);
    this.max = Math.max(this.min, opts.max ?? 64);
    this.value = Math.min(this.max, Math.max(this.min, opts.initial ?? 4));
    this.tolerance = opts.tolerance ?? 2.5;
  }

  /** The whole number of starts that may be in flight now. */
  get limit(): number {
    return Math.max(this.min, Math.floor(this.value));
  }

  /** A start succeeded after `latencyMs`. */
  success(latencyMs: number): void {
    this.best = Math.min(this.best * 1.01, Math.max(0.5, latencyMs));
    if (this.cooldown > 0) this.cooldown--;
    if (latencyMs > this.best * this.tolerance && latencyMs > 20) {
      if (this.cooldown === 0) {
        this.value = Math.max(this.min, this.value * 0.9);
        this.cooldown = this.limit;
      }
      return;
    }
    this.value = Math.min(this.max, this.value + 1 / this.value);
  }

  /** A start failed in a way that says "Temporal cannot take more now". */
  failure(): void {
    this.value = Math.max(this.min, this.value / 2);
    this.cooldown = this.limit;
  }
}
