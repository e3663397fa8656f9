#!/usr/bin/env node
// `npm run build`: compiles src/ and workflows/ to dist/ (tsc, tsconfig.build.json) and copies
// beside them what the code reads at run time relative to itself: schema/, and every file under
// src/ that is not TypeScript (the console's page). The image runs `node dist/src/cli/main.js`; the
// worker bundles its workflows from dist/workflows.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// `--out DIR` builds elsewhere (the build test uses a folder under .hookflow/); it must sit inside the
// checkout, so that node_modules is found from it.
const outAt = process.argv.indexOf('--out');
const dist = outAt > 0 ? path.resolve(process.argv[outAt + 1] ?? 'dist') : path.join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', dist], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
cpSync(path.join(root, 'schema'), path.join(dist, 'schema'), { recursive: true });
for (const entry of readdirSync(path.join(root, 'src'), { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
  const from = path.join(entry.parentPath ?? entry.path, entry.name);
  cpSync(from, path.join(dist, path.relative(root, from)));
}
console.log(`built ${path.relative(root, dist) || dist}/ (run: node ${path.relative(root, dist)}/src/cli/main.js <command>)`);
