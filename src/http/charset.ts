// Bytes → text in the charset a request declares, strictly: a body that is not what it says it is
// gets a 400 naming the first bad byte, never a silently mangled string.
import { TextDecoder } from 'node:util';
import { IngressError } from '../providers/errors.js';

export function decoderFor(charset: string): TextDecoder {
  try {
    return new TextDecoder(charset, { fatal: true });
  } catch {
    throw new IngressError(415, 'unsupported_charset', `charset "${charset}" is not supported. Send UTF-8 (or another WHATWG encoding label).`);
  }
}

export function decodeText(raw: Buffer, charset: string): string {
  const decoder = decoderFor(charset);
  try {
    return decoder.decode(raw); // strips a BOM of that encoding
  } catch {
    throw new IngressError(
      400,
      'invalid_charset',
      `The body is not valid ${decoder.encoding}${firstBadUtf8(raw, decoder.encoding)}. Fix the charset in Content-Type or the bytes sent.`,
    );
  }
}

/** For UTF-8, where the first invalid byte is: helps find a Latin-1 body sent as UTF-8. */
function firstBadUtf8(raw: Buffer, encoding: string): string {
  if (encoding !== 'utf-8') return '';
  let lo = 0;
  let hi = raw.length;
  // Binary search for the shortest invalid prefix (a prefix ending mid-character also fails, so allow 3 bytes slack).
  const valid = (n: number): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(raw.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (valid(mid)) lo = mid;
    else hi = mid - 1;
  }
  // A prefix that stops inside a multi-byte character is valid when streaming: the culprit is its lead byte.
  let at = lo;
  for (let back = 1; back <= 3 && lo - back >= 0; back++) {
    const b = raw[lo - back] ?? 0;
    if ((b & 0xc0) === 0x80) continue;
    if (b >= 0xc0) at = lo - back;
    break;
  }
  return ` (first invalid byte at offset ${at}: 0x${(raw[at] ?? 0).toString(16).padStart(2, '0')})`;
}
