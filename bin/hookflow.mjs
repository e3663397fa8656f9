#!/usr/bin/env node
// `hookflow …` / `npx hookflow …` / `npm start`: in a checkout, runs the TypeScript sources through
// tsx; where only the compiled build is present (the Docker image: dist/, no src/), runs that.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/src/cli/main.js', import.meta.url).href);
}
