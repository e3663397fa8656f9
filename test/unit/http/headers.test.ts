import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flattenHeaders } from '../../../src/http/headers.js';

test('flattenHeaders: lower-case names, repeated values joined with ", ", absent ones left out', () => {
  assert.deepEqual(
    flattenHeaders({ 'Content-Type': 'application/json', 'set-cookie': ['a=1', 'b=2'], 'x-empty': undefined, 'x-one': ['only'], 'x-blank': '' }),
    { 'content-type': 'application/json', 'set-cookie': 'a=1, b=2', 'x-one': 'only', 'x-blank': '' },
  );
  assert.deepEqual(flattenHeaders({}), {});
});
