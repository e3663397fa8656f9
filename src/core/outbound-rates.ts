// Outbound rate limits per host for the whole deployment (HOOKFLOW_OUTBOUND_RATE): an http step to
// a limited host runs on that host's own task queue, whose workers set Temporal's
// maxTaskQueueActivitiesPerSecond — the server hands out its tasks at that rate to all of them, so
// the limit holds across every worker process, and a step over the limit waits in the queue.
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
