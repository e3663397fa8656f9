// Integers beyond Number.MAX_SAFE_INTEGER (2^53 − 1) lose digits in JSON.parse: 9007199254740993
// and 9007199254740992 become the same number, so two snowflake-id deliveries (Discord, Twitter, …)
// would dedupe to one run. Such literals are kept as strings of their exact digits instead. Node 20's
// JSON.parse cannot hand a reviver the source text, so the literals are quoted in the text first.

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A digit that belongs to the fraction or exponent of a number, or continues one. */
const isNumberPart = (c: string | undefined): boolean => c !== undefined && /[0-9.eE+-]/.test(c);

/**
 * The JSON text with every integer literal outside ±(2^53 − 1) written as a string: `{"id":
 * 9007199254740993}` → `{"id": "9007199254740993"}`. `runs` are the [start, end) offsets of the runs
 * of 16+ digits outside strings (the body parser's scan finds them); text without one is returned
 * as is. Malformed JSON may come back changed: parse the original to report its errors.
 */
export function quoteBigIntegers(text: string, runs: ReadonlyArray<readonly [number, number]>): string {
  let out = '';
  let copied = 0;
  for (const [digitsStart, end] of runs) {
    const start = text[digitsStart - 1] === '-' ? digitsStart - 1 : digitsStart;
    // An integer literal stands alone: not the fraction or exponent of a number, nor followed by one.
    if (isNumberPart(text[start - 1]) || isNumberPart(text[end])) continue;
    const n = BigInt(text.slice(start, end));
    if (n <= MAX_SAFE && n >= -MAX_SAFE) continue;
    out += `${text.slice(copied, start)}"${text.slice(start, end)}"`;
    copied = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}
