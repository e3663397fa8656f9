// A source's `dedupe: { key, window }`: the content key of a delivery, hashed, for the journal to
// dedupe within the window on top of the delivery id (providers such as GitHub and Shopify do not
// sign their delivery ids, so a captured delivery replayed under a new id is otherwise a new event).
import { createHash } from 'node:crypto';
import { evaluateExpression } from '../core/expr.js';
import type { SourceConfig, TriggerEvent } from '../core/types.js';
import type { Logger } from '../log.js';

/** undefined when the source has no `dedupe`, or its key cannot be computed on this event (then only the delivery id dedupes). */
export function contentKeyOf(source: SourceConfig, event: TriggerEvent, log?: Logger): { key: string; windowMs: number } | undefined {
  if (!source.dedupe) return undefined;
  let value: unknown;
  try {
    value = evaluateExpression(source.dedupe.key, { body: event.body, headers: event.headers, query: event.query });
  } catch (err) {
    // Never lose an event over its dedupe key: it is journaled, deduped by its delivery id alone.
    log?.warn(
      { source: source.name, err: err instanceof Error ? err.message : String(err) },
      "the source's dedupe key could not be computed on this delivery; deduping it by delivery id only",
    );
    return undefined;
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return { key: createHash('sha256').update(text).digest('hex'), windowMs: source.dedupe.windowMs };
}
