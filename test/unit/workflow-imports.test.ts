// The rule that keeps Temporal honest: workflow code imports only src/core and
// @temporalio/workflow, and src/core imports nothing but itself — no Node built-ins, no I/O.
// And the benches stand on their own: bench/ never reaches into test/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;

function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? '');
}

function tsFiles(dir: string, recursive = false): string[] {
  return readdirSync(dir, { recursive })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

// Each rule first checks that it read files and found imports in them, so a moved folder or an
// import form the pattern misses fails the test instead of leaving nothing to check.
function scanned(dir: string, expected: string): Array<[string, string]> {
  const pairs = tsFiles(dir).flatMap((file) => importsOf(file).map((spec): [string, string] => [file, spec]));
  assert.ok(
    pairs.some(([, spec]) => spec === expected),
    `no import of ${expected} found under ${dir}/: the scan read ${pairs.length} import(s)`,
  );
  return pairs;
}

test('workflows/ import only src/core and @temporalio/workflow', () => {
  for (const [file, spec] of scanned('workflows', '@temporalio/workflow')) {
    const ok = spec === '@temporalio/workflow' || spec.startsWith('./') || path.normalize(path.join('workflows', spec)).startsWith('src/core/');
    assert.ok(ok, `${file} imports ${spec}`);
  }
});

test('src/core imports only src/core and the pure libraries it is built on', () => {
  const allowed = new Set(['@marcbachmann/cel-js']);
  for (const [file, spec] of scanned('src/core', '@marcbachmann/cel-js')) {
    assert.ok(spec.startsWith('./') || allowed.has(spec), `${file} imports ${spec}`);
  }
});

test('bench/ imports nothing from test/', () => {
  const files = tsFiles('bench', true);
  assert.ok(files.length > 5, `found only ${files.length} files under bench/`);
  for (const file of files) {
    for (const spec of importsOf(file)) {
      const target = spec.startsWith('.') ? path.normalize(path.join(path.dirname(file), spec)) : spec;
      assert.ok(!target.startsWith('test/'), `${file} imports ${spec}: move what the bench needs into bench/ (the tests may import it from there)`);
    }
  }
});
