// The shipped recipes (examples/) as a user gets them: `hookflow validate examples` finds nothing, every recipe
// carries the schema line, a description and tests, and `hookflow test examples` passes them all.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runRecipeTest } from '../../src/core/recipe-test.js';
import { loadRecipes } from '../../src/recipes/load.js';
import { RECIPES, ROOT } from './recipes-kit.js';

const EXPECTED = [
  'alert-escalation',
  'github-to-chat',
  'meiqia-crm-sync',
  'order-fanout',
  'run-failed-alert',
  'sendbird-digest',
  'sendbird-email-unread',
  'sendbird-notify-members',
  'shopify-order-fulfilment',
  'slack-weather-command',
  'stripe-invoice-dunning',
  'stripe-payment-receipt',
  'twilio-sms-auto-reply',
];

describe('shipped recipes', () => {
  const loaded = loadRecipes(RECIPES, {});

  test('load without a problem, sources.yaml included', () => {
    assert.deepEqual(loaded.problems, []);
    assert.deepEqual(loaded.recipes.map((r) => r.name).sort(), EXPECTED);
    assert.deepEqual([...loaded.sources.keys()].sort(), ['monitoring', 'platform']);
  });

  test('each file has the schema line, a description and tests that pass', async () => {
    for (const recipe of loaded.recipes) {
      const text = readFileSync(path.join(RECIPES, `${recipe.name}.yaml`), 'utf8');
      assert.ok(text.startsWith('# yaml-language-server: $schema=../schema/recipe.schema.json\n'), `${recipe.name}: schema line`);
      assert.ok((recipe.description ?? '').length > 40, `${recipe.name}: description`);
      assert.ok((recipe.tests ?? []).length >= 2, `${recipe.name}: at least two tests`);
      for (const t of recipe.tests ?? []) {
        const outcome = await runRecipeTest(recipe, t);
        assert.ok(outcome.passed, `${recipe.name} › ${t.name}:\n${outcome.diff.join('\n')}`);
      }
    }
  });

  test('`hookflow validate examples` and `hookflow test examples` exit 0', () => {
    for (const cmd of ['validate', 'test']) {
      const r = spawnSync(process.execPath, ['bin/hookflow.mjs', cmd, 'examples'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' } });
      assert.equal(r.status, 0, `hookflow ${cmd} examples:\n${r.stdout}\n${r.stderr}`);
      if (cmd === 'test') assert.match(r.stdout, /^\d+ passed, 0 failed$/m);
    }
  });
});
