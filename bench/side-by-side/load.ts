// Load for the side-by-side scenarios, each request a fresh event id: a closed loop of N
// connections for a while, and a burst of N webhooks with M in flight. (The fixed-rate scenario
// uses lib's open-loop generator.)
import { pingBody, postOutcome } from '../lib/http.js';
import { pool, type SentEvent } from '../lib/load.js';

export interface LoadRun {
  sent: SentEvent[];
  /** When the first request went out and when the last answer came back (ms since epoch). */
  startedAt: number;
  endedAt: number;
}

async function send(url: string, id: string, timeoutMs: number): Promise<SentEvent> {
  const ev: SentEvent = { id, t0: Date.now(), status: -1, answeredAt: 0 };
  const o = await postOutcome(url, pingBody(id, ev.t0), timeoutMs);
  [ev.status, ev.error, ev.answeredAt] = [o.status, o.error, Date.now()];
  return ev;
}

/** `connections` loops, each POSTing the next webhook as soon as its last one was answered, for `durationMs`. */
export async function closedLoop(url: string, connections: number, durationMs: number, idPrefix: string, timeoutMs = 30_000): Promise<LoadRun> {
  const sent: SentEvent[] = [];
  const startedAt = Date.now();
  const until = startedAt + durationMs;
  let n = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < until) sent.push(await send(url, `${idPrefix}-${n++}`, timeoutMs));
    }),
  );
  return { sent, startedAt, endedAt: Date.now() };
}

/** `total` webhooks with `inFlight` of them outstanding at any time, as a provider's retry storm or backfill sends them. */
export async function burst(url: string, total: number, inFlight: number, idPrefix: string, timeoutMs = 30_000): Promise<LoadRun> {
  const startedAt = Date.now();
  const ids = Array.from({ length: total }, (_, i) => `${idPrefix}-${i}`);
  const sent = await pool(ids, inFlight, (id) => send(url, id, timeoutMs));
  return { sent, startedAt, endedAt: Date.now() };
}
