// Byte sizes, read from sources.yaml (`max_body: 5mb`) and written into refusals, on the `bytes`
// package (what express and raw-body use). Units are powers of 1024 throughout.
import bytes from 'bytes';

/** The forms sources.yaml takes (and its schema's pattern): `5mb`, `512 KiB`, `1m`, `100b`, `100`. */
const SIZE = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmg])i?)?b?\s*$/i;

/** `5mb`, `512kb`, `1MiB`, `1048576` → bytes. Throws with a clear message. */
export function parseSize(value: string | number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  const m = typeof value === 'string' ? SIZE.exec(value) : null;
  // bytes spells the units kb, mb, gb; `k` and `KiB` are the same unit, spelled its way.
  const n = m ? bytes.parse(`${m[1]}${m[2] ? `${m[2]}b` : ''}`) : null;
  if (n === null || !(n > 0)) throw new Error(`invalid size ${JSON.stringify(value)}: use bytes or a number with kb, mb or gb, e.g. "5mb"`);
  return n;
}

/** 10240 → `10 KiB`, 1572864 → `1.5 MiB`, 100 → `100 B`. IEC names, so no reader takes them for powers of 1000. */
export function formatSize(n: number): string {
  return (bytes.format(n, { unitSeparator: ' ', decimalPlaces: 1 }) ?? `${n} bytes`).replace(/ ([KMGTP])B$/, ' $1iB');
}
