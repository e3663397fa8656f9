// The rule that keeps Temporal honest: workflow code imports only src/core and
// @temporalio/workflow, and src/core imports nothing but itself — no Node built-ins, no I/O.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;

function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? '');
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));
}

test('workflows/ import only src/core and @temporalio/workflow', () => {
  for (const file of tsFiles('workflows')) {
    for (const spec of importsOf(file)) {
      const ok = spec === '@temporalio/workflow' || spec.startsWith('./') || path.normalize(path.join('workflows', spec)).startsWith('src/core/');
      assert.ok(ok, `${file} imports ${spec}`);
    }
  }
});

test('src/core imports only src/core and the pure libraries it is built on', () => {
  const allowed = new Set(['@marcbachmann/cel-js']);
  for (const file of tsFiles('src/core')) {
    for (const spec of importsOf(file)) {
      assert.ok(spec.startsWith('./') || allowed.has(spec), `${file} imports ${spec}`);
    }
  }
});
