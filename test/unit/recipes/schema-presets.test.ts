// The JSON Schemas repeat the preset names for editors; PRESET_NAMES (src/providers/index.ts) owns
// them. This fails when a preset is added, renamed or removed in one place only.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PRESET_NAMES } from '../../../src/providers/index.js';

const schema = (name: string): any => JSON.parse(readFileSync(new URL(`../../../schema/${name}`, import.meta.url), 'utf8'));

test("sources.schema.json's provider enum is PRESET_NAMES, in order", () => {
  assert.deepEqual(schema('sources.schema.json').definitions.source.properties.provider.enum, [...PRESET_NAMES]);
});

test("recipe.schema.json's on.source description lists PRESET_NAMES", () => {
  const description: string = schema('recipe.schema.json').properties.on.properties.source.description;
  assert.ok(description.includes(`a provider preset (${PRESET_NAMES.join(', ')})`), `update the list in: ${description}`);
});
