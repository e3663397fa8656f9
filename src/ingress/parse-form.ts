// A form body → an object of its fields, as recipes see it; the bytes are decoded by src/http's
// formPairs, the same decoder the Twilio verifier signs from.
import type { Json } from '../core/types.js';
import { formPairs } from '../http/form-pairs.js';
import { FORBIDDEN_KEYS } from './body-guards.js';

/** application/x-www-form-urlencoded in any charset; a repeated name gives a list. */
export function parseForm(raw: Buffer, charset: string): Json {
  const out: { [key: string]: Json } = {};
  for (const [name, value] of formPairs(raw, charset)) {
    if (FORBIDDEN_KEYS.has(name)) continue;
    const prev = Object.hasOwn(out, name) ? out[name] : undefined;
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  return out;
}
