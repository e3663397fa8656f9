#!/usr/bin/env node
// `npm run build`: compiles src/ and workflows/ to dist/ (tsc, tsconfig.build.json) and copies
// beside them what the code reads at run time relative to itself (schema/). The image runs
// `node dist/src/cli/main.js`; the worker bundles its workflows from dist/workflows.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
cpSync(path.join(root, 'schema'), path.join(dist, 'schema'), { recursive: true });
console.log('built dist/ (run: node dist/src/cli/main.js <command>)');
