// application/x-www-form-urlencoded → the list of (name, value) pairs, in order, repeats kept, in the
// declared charset. The one decoder of form bodies: the parser builds `event` from it and the Twilio
// preset rebuilds its signed string from it, so what is verified is exactly what is parsed. It sits
// in src/http, below both the ingress and the providers; its refusals are the ingress's 400/415.
import { decoderFor } from './charset.js';
import { IngressError } from '../providers/errors.js';

/** `+` is a space and `%XX` a byte of `charset`; a `%` without two hex digits stays as it is (as browsers do). */
export function formPairs(raw: Buffer, charset: string): Array<[string, string]> {
  const decoder = decoderFor(charset);
  const decode = (part: Buffer): string => {
    try {
      return decoder.decode(percentDecode(part));
    } catch {
      throw new IngressError(400, 'invalid_charset', `A form field is not valid ${decoder.encoding} once percent-decoded. Fix the charset in Content-Type.`);
    }
  };
  const pairs: Array<[string, string]> = [];
  let start = 0;
  while (start <= raw.length) {
    let end = raw.indexOf(0x26, start); // '&'
    if (end < 0) end = raw.length;
    const pair = raw.subarray(start, end);
    start = end + 1;
    if (pair.length === 0) continue;
    const eq = pair.indexOf(0x3d); // '='
    pairs.push([decode(eq < 0 ? pair : pair.subarray(0, eq)), eq < 0 ? '' : decode(pair.subarray(eq + 1))]);
  }
  return pairs;
}

function hexVal(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** `+` → space, `%XX` → byte; a `%` not followed by two hex digits stays as it is (as browsers do). */
function percentDecode(part: Buffer): Buffer {
  const out = Buffer.allocUnsafe(part.length);
  let n = 0;
  for (let i = 0; i < part.length; i++) {
    const c = part[i] as number;
    if (c === 0x2b) out[n++] = 0x20;
    else if (c === 0x25) {
      const hi = hexVal(part[i + 1]);
      const lo = hexVal(part[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out[n++] = hi * 16 + lo;
        i += 2;
      } else out[n++] = c;
    } else out[n++] = c;
  }
  return out.subarray(0, n);
}
