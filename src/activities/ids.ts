// Stable identifiers derived from the run and step, identical on every attempt, so a receiver
// can recognise a retry of something it already got.
import { createHash } from 'node:crypto';

/** `<workflowId>/<stepPath>`, made safe for a header value (non-ASCII percent-encoded). */
export function idempotencyKey(workflowId: string, stepPath: string): string {
  return `${workflowId}/${stepPath}`.replace(/[^\x20-\x7e]/gu, (c) => encodeURIComponent(c));
}

/** A short URL-safe id derived from a key (for protocols with length limits, e.g. Web Push `Topic`). */
export function shortStableId(key: string, length = 32): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, length);
}
