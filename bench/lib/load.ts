// Load generators: an open loop that POSTs events at a fixed rate with bounded concurrency, and a
// pool that runs work with a bounded number in flight.
import { sleep } from './basics.js';
import { pingBody, postOutcome, type PostOutcome } from './http.js';

export interface SentEvent {
  id: string;
  t0: number;
  status: number;
  /** Why there was no status (status 0). */
  error?: PostOutcome['error'];
  answeredAt: number;
}

export interface OpenLoopOptions {
  url: string;
  rate: number;
  durationMs: number;
  idPrefix: string;
  /** Requests in flight at most; beyond it the generator falls behind (reported). */
  maxInFlight?: number;
  /** Body fields besides type/id. */
  extra?: Record<string, unknown>;
  /** Delivered copies of each event, sent concurrently. */
  copies?: number;
}

export async function openLoop(o: OpenLoopOptions): Promise<{ sent: SentEvent[]; behindMs: number }> {
  const sent: SentEvent[] = [];
  const inFlight = new Set<Promise<void>>();
  const max = o.maxInFlight ?? 512;
  const total = Math.round((o.rate * o.durationMs) / 1000);
  const start = performance.now();
  let behindMs = 0;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / o.rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    else behindMs = Math.max(behindMs, -wait);
    while (inFlight.size >= max) await Promise.race(inFlight);
    const ev: SentEvent = { id: `${o.idPrefix}-${i}`, t0: Date.now(), status: -1, answeredAt: 0 };
    sent.push(ev);
    const body = pingBody(ev.id, ev.t0, o.extra);
    const copies = o.copies ?? 1;
    for (let c = 0; c < copies; c++) {
      const p = postOutcome(o.url, body).then(({ status, error }) => {
        // With copies, the event counts as accepted when any copy was.
        if (ev.status < 200 || ev.status >= 300) [ev.status, ev.error] = [status, error];
        ev.answeredAt = Date.now();
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
  }
  await Promise.all(inFlight);
  return { sent, behindMs };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
