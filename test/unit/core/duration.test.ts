import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DurationError, isDuration, parseDuration } from '../../../src/core/duration.js';

const good: Array<[string, number]> = [
  ['500ms', 500], ['10s', 10_000], ['5m', 300_000], ['1h', 3_600_000], ['1d', 86_400_000],
  ['1h30m', 5_400_000], ['1m30s', 90_000], ['1.5s', 1500], ['0s', 0], [' 2m ', 120_000], ['1d2h3m4s5ms', 93_784_005],
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
    assert.throws(() => parseDuration(s), (e: unknown) => {
      assert.ok(e instanceof DurationError);
      assert.match(e.message, /invalid duration .* e\.g\. "500ms"/);
      return true;
    });
    assert.equal(isDuration(s), false);
  });
}
