import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DurationError, formatDuration, isDuration, parseDuration } from '../../../src/core/duration.js';

const good: Array<[string, number]> = [
  ['500ms', 500],
  ['10s', 10_000],
  ['5m', 300_000],
  ['1h', 3_600_000],
  ['1d', 86_400_000],
  ['1h30m', 5_400_000],
  ['1m30s', 90_000],
  ['1.5s', 1500],
  ['0s', 0],
  [' 2m ', 120_000],
  ['1d2h3m4s5ms', 93_784_005],
];
for (const [s, ms] of good) {
  test(`parseDuration(${JSON.stringify(s)}) = ${ms}`, () => {
    assert.equal(parseDuration(s), ms);
    assert.equal(isDuration(s), true);
  });
}

const bad = ['', '10', 'ten seconds', '5 m', '-5s', '1w', '1h 30m', 's', '1.s', '10sec'];
for (const s of bad) {
  test(`parseDuration(${JSON.stringify(s)}) throws a clear error`, () => {
    assert.throws(
      () => parseDuration(s),
      (e: unknown) => {
        assert.ok(e instanceof DurationError);
        assert.match(e.message, /invalid duration .* e\.g\. "500ms"/);
        return true;
      },
    );
    assert.equal(isDuration(s), false);
  });
}

const formatted: Array<[number, string]> = [
  [0, '0s'],
  [1500, '1500ms'],
  [1000, '1s'],
  [90_000, '90s'],
  [300_000, '5m'],
  [5_400_000, '90m'],
  [7_200_000, '2h'],
  [86_400_000, '1d'],
  [129_600_000, '36h'],
];
for (const [ms, text] of formatted) {
  test(`formatDuration(${ms}) = ${text}, which parses back to ${ms}`, () => {
    assert.equal(formatDuration(ms), text);
    assert.equal(parseDuration(text), ms);
  });
}

// The JSON Schemas (for ajv and for editors) spell the grammar as a pattern: it must accept what parseDuration does.
function durationPatterns(node: unknown, out: RegExp[] = []): RegExp[] {
  if (Array.isArray(node)) node.forEach((n) => durationPatterns(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'pattern' && typeof v === 'string' && v.includes('(ms|s|m|h|d)')) out.push(new RegExp(v));
      else durationPatterns(v, out);
    }
  }
  return out;
}
const schemaPatterns = ['schema/recipe.schema.json', 'schema/sources.schema.json'].flatMap((f) => durationPatterns(JSON.parse(readFileSync(f, 'utf8'))));
test('the schemas hold duration patterns', () => assert.ok(schemaPatterns.length >= 3, `found ${schemaPatterns.length}`));
for (const [s] of good) test(`the schemas' duration patterns accept ${JSON.stringify(s)}`, () => schemaPatterns.forEach((p) => assert.match(s, p)));
for (const s of bad) test(`the schemas' duration patterns refuse ${JSON.stringify(s)}`, () => schemaPatterns.forEach((p) => assert.doesNotMatch(s, p)));
