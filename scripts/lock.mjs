#!/usr/bin/env node
// `npm run lock`: rewrite package-lock.json so that `npm ci` accepts it on every platform.
// `npm run lock -- --check`: only check that it does (CI runs this before `npm ci`).
//
// Why: `npm install` run where node_modules exists builds the lockfile from the installed tree, which
// holds only this platform's optional packages (@swc/core-linux-x64-gnu, not -darwin-arm64, …), so it
// can drop the others' entries; `npm ci` elsewhere then stops with "Missing: … from lock file".
// Resolving in a folder with only package.json and the lockfile (no node_modules) keeps every
// platform's entry, and adds back any that were lost. Nothing is installed and no script runs.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const checkOnly = process.argv.includes('--check');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const quiet = ['--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];

function npmIn(dir, args) {
  const r = spawnSync(npm, [...args, ...quiet], { cwd: dir, encoding: 'utf8' });
  // npm follows a usage error with the whole option list; what matters comes before it.
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.split(/^npm error Usage:/m)[0].trim();
  return { ok: r.status === 0, output };
}

const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-lock-'));
try {
  copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  copyFileSync(path.join(root, 'package-lock.json'), path.join(dir, 'package-lock.json'));
  if (!checkOnly) {
    const before = readFileSync(path.join(dir, 'package-lock.json'), 'utf8');
    const r = npmIn(dir, ['install', '--package-lock-only']);
    if (!r.ok) {
      console.error(`npm install --package-lock-only failed:\n${r.output}`);
      process.exit(1);
    }
    const after = readFileSync(path.join(dir, 'package-lock.json'), 'utf8');
    copyFileSync(path.join(dir, 'package-lock.json'), path.join(root, 'package-lock.json'));
    console.log(before === after ? 'package-lock.json was already complete' : 'package-lock.json rewritten');
  }
  // The same check `npm ci` makes before it installs anything: every package the lockfile's own
  // entries ask for, on any platform, has an entry. --dry-run stops short of downloading.
  const r = npmIn(dir, ['ci', '--dry-run']);
  if (!r.ok) {
    console.error(`npm ci would refuse package-lock.json:\n${r.output}\n\nRun \`npm run lock\` and commit package-lock.json.`);
    process.exit(1);
  }
  console.log('npm ci accepts package-lock.json');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
