// Integers beyond Number.MAX_SAFE_INTEGER (2^53 − 1) lose digits in JSON.parse: 9007199254740993
// and 9007199254740992 become the same number, so two snowflake-id deliveries (Discord, Twitter, …)
// would dedupe to one run. Such literals are kept as strings of their exact digits instead. Node 20's
// JSON.parse cannot hand a reviver the source text, so the literals are quoted in the text first.

/** A run of 16 digits: the cheap test that lets ordinary bodies skip the scan. */
const MAYBE_BIG = /\d{16}/;
/**
 * A whole string literal (skipped as it is), or an integer literal of 16+ digits standing alone: not
 * the fraction or exponent of another number. Strings are matched whole, so digits inside them never
 * count; `[^"\\]` and `\\.` cannot overlap, so an unterminated string costs one linear pass.
 */
const TOKENS = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function quoteIfBig(token: string): string {
  if (token.charCodeAt(0) === 0x22) return token;
  const n = BigInt(token);
  return n > MAX_SAFE || n < -MAX_SAFE ? `"${token}"` : token;
}

/**
 * The JSON text with every integer literal outside ±(2^53 − 1) written as a string: `{"id":
 * 9007199254740993}` → `{"id": "9007199254740993"}`. Text without such a literal comes back as is.
 * Malformed JSON may come back changed; parse the original to report its errors.
 */
export function quoteBigIntegers(text: string): string {
  if (!MAYBE_BIG.test(text)) return text;
  return text.replace(TOKENS, quoteIfBig);
}
