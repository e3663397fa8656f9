// Examples apart from the user's recipes: with RECIPES_DIR unset, ./recipes is used when it holds a
// recipe, else the shipped ./examples (and the config says so); RECIPES_DIR always wins.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.js';

function checkout(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-checkout-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

test('a fresh clone (no recipes/): the examples run, and the config says why', () => {
  const cwd = checkout({ 'examples/a.yaml': 'x' });
  const c = loadConfig({}, cwd);
  assert.equal(c.recipesDir, path.join(cwd, 'examples'));
  assert.deepEqual(c.examplesInstead, { wanted: path.join(cwd, 'recipes') });
});

test('recipes/ with only a sources.yaml still counts as empty', () => {
  const cwd = checkout({ 'examples/a.yaml': 'x', 'recipes/sources.yaml': 'sources: {}' });
  assert.equal(loadConfig({}, cwd).recipesDir, path.join(cwd, 'examples'));
});

test("the user's own recipe in recipes/ replaces the examples entirely", () => {
  const cwd = checkout({ 'examples/a.yaml': 'x', 'recipes/mine.yaml': 'x' });
  const c = loadConfig({}, cwd);
  assert.equal(c.recipesDir, path.join(cwd, 'recipes'));
  assert.equal(c.examplesInstead, undefined);
});

test('RECIPES_DIR wins, even when it is empty', () => {
  const cwd = checkout({ 'examples/a.yaml': 'x', 'mine/.keep': '' });
  const c = loadConfig({ RECIPES_DIR: 'mine' }, cwd);
  assert.equal(c.recipesDir, path.join(cwd, 'mine'));
  assert.equal(c.examplesInstead, undefined);
});
