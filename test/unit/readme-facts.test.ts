// Facts the README states that have an owner in the code: checked here so the prose cannot drift.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_START_TIMEOUT_MS } from '../../src/config.js';
import { PRESET_NAMES } from '../../src/providers/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

test("README's list of provider presets is PRESET_NAMES (less generic, which is declared in sources.yaml)", () => {
  const m = /named like a\s+provider\s+preset \(([\s\S]*?)\)\s+needs/.exec(readme);
  assert.ok(m, 'the sentence "A source named like a provider preset (…) needs …" is in the README');
  const listed = [...m[1]!.matchAll(/`([a-z-]+)`/g)].map((x) => x[1]!);
  assert.deepEqual([...listed].sort(), PRESET_NAMES.filter((n) => n !== 'generic').sort());
});

test("README's configuration table gives the code's defaults", () => {
  const row = (name: string): string => {
    const line = readme.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
    assert.ok(line, `${name} has a row in the configuration table`);
    return line.split('|')[2]!.trim();
  };
  assert.equal(row('HOOKFLOW_START_TIMEOUT_MS'), String(DEFAULT_START_TIMEOUT_MS));
});
