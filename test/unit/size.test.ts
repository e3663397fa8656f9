import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { formatSize, parseSize } from '../../src/http/size.js';

const formatted: Array<[number, string]> = [
  [100, '100 B'],
  [1024, '1 KiB'],
  [1536, '1.5 KiB'],
  [10 * 1024, '10 KiB'],
  [1024 * 1024, '1 MiB'],
  [1.5 * 1024 * 1024, '1.5 MiB'],
  [5 * 1024 ** 3, '5 GiB'],
];
for (const [n, text] of formatted) {
  test(`formatSize(${n}) = ${text}, which parseSize reads back`, () => {
    assert.equal(formatSize(n), text);
    assert.equal(parseSize(text), n);
  });
}

test('formatSize of something that is not a size says so rather than throwing', () => assert.equal(formatSize(Number.NaN), 'NaN bytes'));

// sources.schema.json spells max_body's grammar as a pattern (for ajv and for editors): it must take what parseSize takes.
const schema = JSON.parse(readFileSync('schema/sources.schema.json', 'utf8')) as { $defs?: unknown };
function maxBodyPattern(node: unknown): RegExp | undefined {
  if (!node || typeof node !== 'object') return undefined;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'max_body') return new RegExp((v as { oneOf: Array<{ pattern?: string }> }).oneOf.find((o) => o.pattern)!.pattern!);
    const found = maxBodyPattern(v);
    if (found) return found;
  }
  return undefined;
}
const pattern = maxBodyPattern(schema);
test('sources.schema.json has a max_body pattern', () => assert.ok(pattern));
for (const s of ['5mb', '512kb', '1MiB', '2 GB', '100', '100b', '1.5kb', '1k', '3 gib']) {
  test(`"${s}": the schema's pattern and parseSize both take it`, () => {
    assert.match(s, pattern!);
    assert.ok(parseSize(s) > 0);
  });
}
for (const s of ['big', '5tb', '-1kb', '5 k b', '1ib', 'kb']) {
  test(`"${s}": the schema's pattern and parseSize both refuse it`, () => {
    assert.doesNotMatch(s, pattern!);
    assert.throws(() => parseSize(s), /invalid size/);
  });
}
