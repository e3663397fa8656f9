#!/usr/bin/env node
// `hookflow …` / `npx hookflow …` / `npm start`: runs the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
