// What every body parser refuses or drops, whatever the format: nesting deeper than MAX_DEPTH, and
// names that would reach Object.prototype through a later merge/assign downstream.
import { IngressError } from './errors.js';

export const MAX_DEPTH = 64;

/** Keys that would reach Object.prototype through a later merge/assign downstream. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function tooDeep(): IngressError {
  return new IngressError(400, 'too_deep', `The body nests deeper than ${MAX_DEPTH} levels; flatten it.`);
}
