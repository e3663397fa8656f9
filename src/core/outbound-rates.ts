// Outbound rate limits per host for the whole deployment (HOOKFLOW_OUTBOUND_RATE): an http step to
// a limited host runs on that host's own task queue, whose workers set Temporal's
// maxTaskQueueActivitiesPerSecond — the server hands out its tasks at that rate to all of them, so
// the limit holds across every worker process, and a step over the limit waits in the queue.
// The setting: `host=rate` pairs, comma-separated, e.g. `api.example.com=5/s,hooks.slack.com=1/s`
// (rates per second `/s`, per minute `/m` or per hour `/h`).
// PURE (imported by the workflow sandbox).

/** The task queue of a limited host's http steps. */
export function rateQueue(taskQueue: string, host: string): string {
  return `${taskQueue}@outbound:${host}`;
}

/** The lower-case host name of an absolute http(s) URL (no port, no user info), or undefined. */
export function hostOfUrl(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(url.trim());
  const host = m?.[1]?.toLowerCase();
  return host ? host : undefined;
}

export interface OutboundRate {
  host: string;
  /** Requests per second (may be below 1). */
  perSecond: number;
  /** As written, for messages. */
  text: string;
}

const PER: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** Parses the variable; throws with the entry that is wrong and the expected form. */
export function parseOutboundRates(value: string | undefined): OutboundRate[] {
  const out: OutboundRate[] = [];
  for (const entry of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])=(\d+(?:\.\d+)?)\/(s|m|h)$/.exec(entry);
    const n = m ? Number(m[2]) : 0;
    if (!m || !(n > 0)) {
      throw new Error(`HOOKFLOW_OUTBOUND_RATE: "${entry}" is not host=rate, e.g. "api.example.com=5/s" (rates per /s, /m or /h; several comma-separated)`);
    }
    const host = m[1]!.toLowerCase();
    if (out.some((r) => r.host === host)) throw new Error(`HOOKFLOW_OUTBOUND_RATE: ${host} is listed twice`);
    out.push({ host, perSecond: n / PER[m[3]!]!, text: `${m[2]}/${m[3]}` });
  }
  return out;
}
