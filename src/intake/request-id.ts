// Request ids: ULIDs (26 characters, Crockford base32, 48-bit time + 80 random bits). They sort by
// time as text, so "newest first" and paging are an index scan in SQLite and PostgreSQL alike, and
// they are made without asking the database (ingress processes on several hosts never collide).
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastRandom: Buffer = Buffer.alloc(10);

/** A new ULID for a request received at `now`; ordered within this process even within one millisecond. */
export function newRequestId(now: number = Date.now()): string {
  let random: Buffer;
  if (now === lastTime) {
    // Same millisecond: increment the previous random part, so ids made here keep their order.
    random = Buffer.from(lastRandom);
    for (let i = random.length - 1; i >= 0; i--) {
      random[i] = (random[i]! + 1) & 0xff;
      if (random[i] !== 0) break;
    }
  } else {
    random = randomBytes(10);
  }
  lastTime = now;
  lastRandom = random;
  // 80 random bits → 16 characters of 5 bits.
  let bits = 0n;
  for (const b of random) bits = (bits << 8n) | BigInt(b);
  let r = '';
  for (let i = 0; i < 16; i++) {
    r = ALPHABET[Number(bits & 31n)]! + r;
    bits >>= 5n;
  }
  return encodeTime(now) + r;
}

/** 48-bit milliseconds → the 10-character time part of a ULID. */
function encodeTime(ms: number): string {
  let out = '';
  let t = Math.max(0, Math.floor(ms));
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  return out;
}

/** The smallest request id made at `ms`: every id made earlier sorts below it. */
export function firstRequestIdAt(ms: number): string {
  return `${encodeTime(ms)}0000000000000000`;
}

/** The time a request id was made (ms), or undefined when it is not a ULID. */
export function requestIdTime(id: string): number | undefined {
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) return undefined;
  let t = 0;
  for (const c of id.slice(0, 10)) t = t * 32 + ALPHABET.indexOf(c);
  return t;
}

export function isRequestId(id: string): boolean {
  return requestIdTime(id) !== undefined;
}
