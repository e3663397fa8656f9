// What the sender controls and Temporal refuses as an invalid argument: checked right after the
// provider describes the event, so a bad delivery is a 4xx the provider stops retrying, not a 503
// "Temporal unavailable" it retries forever. Limits measured against Temporal 1.x defaults
// (test/integration/ingress-hostile.test.ts sends each case).
import type { TriggerEvent } from '../core/types.js';
import { formatSize } from '../http/size.js';
import type { Described } from '../providers/index.js';
import { IngressError, type IngressErrorCode } from './errors.js';

/**
 * UTF-8 bytes of a delivery id. Real ids are far shorter (a GitHub UUID is 36, a Stripe `evt_…` 28,
 * a Twilio SID with its status ~45); the run's workflow id `<recipe>/<source>/<id>` must stay under
 * Temporal's 1,000-byte id limit with a 100-character recipe name and source name around it.
 */
export const MAX_DELIVERY_ID_BYTES = 200;
/**
 * UTF-8 bytes of an event type. Real types are short (`customer.subscription.trial_will_end` is 36);
 * the type is a Keyword search attribute (HookflowEvent), which Temporal caps at 2 KB.
 */
export const MAX_EVENT_TYPE_BYTES = 200;
/**
 * The event as stored in a run's input (JSON). Temporal refuses a payload over 2 MiB; the recipe
 * travels in the same input, so the event gets 1.5 MiB. A 1 MiB body can grow past it: a control
 * character is one byte in a text body and six (`\u0001`) in JSON.
 */
export const MAX_EVENT_JSON_BYTES = 1.5 * 1024 * 1024;
/** JSON grows the raw body at most this much (a control byte → `\u00XX`); smaller bodies skip the measurement. */
const WORST_GROWTH = 6;
/** Headers (16 KiB in Node) and query escaped the same way, with room to spare. */
const ENVELOPE_ALLOWANCE = 256 * 1024;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function fieldProblem(
  what: 'delivery id' | 'event type',
  value: string,
  maxBytes: number,
  codes: { long: IngressErrorCode; invalid: IngressErrorCode },
): IngressError | undefined {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > maxBytes) {
    return new IngressError(
      400,
      codes.long,
      `The ${what} is ${bytes} bytes long ("${value.slice(0, 40)}…"); hookflow takes at most ${maxBytes} bytes (UTF-8). ` +
        `Check which field the source reads its ${what} from.`,
    );
  }
  // A lone UTF-16 surrogate (from a JSON "\ud800") cannot be encoded as UTF-8 for Temporal;
  // control characters are no part of any real id or type.
  if (LONE_SURROGATE.test(value) || CONTROL.test(value)) {
    return new IngressError(
      400,
      codes.invalid,
      `The ${what} ${JSON.stringify(value).slice(0, 80)} holds a control character or an unpaired surrogate (\\ud800-\\udfff); it must be plain text.`,
    );
  }
  return undefined;
}

/** Throws a 400 when the delivery id or event type cannot name a run in Temporal. */
export function checkDescribed(described: Described): void {
  const problem =
    fieldProblem('delivery id', described.id, MAX_DELIVERY_ID_BYTES, { long: 'delivery_id_too_long', invalid: 'invalid_delivery_id' }) ??
    fieldProblem('event type', described.type, MAX_EVENT_TYPE_BYTES, { long: 'event_type_too_long', invalid: 'invalid_event_type' });
  if (problem) throw problem;
}

/** Throws a 413 when the event, stored as JSON, would be more than a run's input can hold. */
export function checkEventSize(event: TriggerEvent, rawBodyBytes: number): void {
  if (rawBodyBytes * WORST_GROWTH + ENVELOPE_ALLOWANCE <= MAX_EVENT_JSON_BYTES) return;
  const bytes = Buffer.byteLength(JSON.stringify(event), 'utf8');
  if (bytes <= MAX_EVENT_JSON_BYTES) return;
  throw new IngressError(
    413,
    'event_too_large',
    `The event is ${formatSize(bytes)} once stored as JSON (the ${formatSize(rawBodyBytes)} body grows with escaping: control characters, ` +
      `quotes, backslashes); a run's input holds at most ${formatSize(MAX_EVENT_JSON_BYTES)}. Send a smaller body.`,
  );
}
