// A JSON body → its value, hostile input in mind: nesting is bounded before JSON.parse recurses,
// prototype keys are dropped, integers beyond 2^53 keep their digits, and a syntax error names its
// line and column as the sender wrote them.
import type { Json } from '../core/types.js';
import { FORBIDDEN_KEYS, MAX_DEPTH, tooDeep } from './body-guards.js';
import { IngressError } from './errors.js';
import { jsonErrorPosition } from './json-error-position.js';
import { quoteBigIntegers } from './json-big-integers.js';

/**
 * Nesting depth outside strings, checked before JSON.parse so a hostile body costs one linear scan.
 * The same pass lists the runs of 16+ digits outside strings: only they can be integers beyond 2^53.
 */
function scanJson(text: string): { longRuns: Array<[number, number]> } {
  let depth = 0;
  let inString = false;
  let runStart = -1;
  const longRuns: Array<[number, number]> = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped char
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c >= 0x30 && c <= 0x39) {
      if (runStart < 0) runStart = i;
      continue;
    }
    if (runStart >= 0 && i - runStart >= 16) longRuns.push([runStart, i]);
    runStart = -1;
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_DEPTH) throw tooDeep();
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  if (runStart >= 0 && text.length - runStart >= 16) longRuns.push([runStart, text.length]);
  return { longRuns };
}

export function parseJson(text: string): Json {
  if (text.trim() === '') throw new IngressError(400, 'invalid_json', 'The body is empty but Content-Type says JSON.');
  const { longRuns } = scanJson(text);
  // Integers beyond 2^53 arrive as strings of their exact digits (ids must not collapse).
  const exact = longRuns.length > 0 ? quoteBigIntegers(text, longRuns) : text;
  try {
    // The reviver triples parse time, so only pay for it when a forbidden key could be there
    // (spelled out, or hidden behind a \u escape).
    if (!/__proto__|constructor|prototype|\\u/.test(exact)) return JSON.parse(exact) as Json;
    return JSON.parse(exact, (key, value: unknown) => (FORBIDDEN_KEYS.has(key) ? undefined : value)) as Json;
  } catch (first) {
    // Report the error as the sender wrote it: quoting moved the positions after it.
    let err = first;
    if (exact !== text) {
      try {
        JSON.parse(text);
      } catch (original) {
        err = original;
      }
    }
    const at = jsonErrorPosition(text, (err as Error).message);
    const where = at === undefined ? '' : ` at ${at}`;
    throw new IngressError(400, 'invalid_json', `The body is not valid JSON${where}: ${(err as Error).message}`);
  }
}
