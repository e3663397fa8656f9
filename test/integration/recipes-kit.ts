// Shared by the end-to-end tests of the shipped recipes (recipes-*.test.ts): the recipe files as
// shipped (optionally with some `vars` changed, e.g. a 5-minute wait made a few seconds), a hookflow
// started on them, and deliveries sent the way a user does it: `hookflow send`, as a child process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { parseDocument } from 'yaml';
import type { RunResult } from '../../src/core/types.js';
import { startTestHookflow, resultOf } from '../helpers/hookflow.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RECIPES = path.join(ROOT, 'examples');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

/** A change to a recipe for a test: a YAML path (must exist) and its new value. */
export type RecipeEdit = [Array<string | number>, unknown];

/**
 * A shipped recipe's text; `vars` replaces those variables, `edits` other existing values (e.g. a
 * retry policy); the rest of the file is kept.
 */
export function shippedRecipe(file: string, vars: Record<string, unknown> = {}, edits: RecipeEdit[] = []): string {
  const doc = parseDocument(readFileSync(path.join(RECIPES, file), 'utf8'));
  for (const [where, value] of [...Object.entries(vars).map(([name, v]): RecipeEdit => [['vars', name], v]), ...edits]) {
    assert.ok(doc.hasIn(where), `${file} has no ${where.join('.')} to change`);
    doc.setIn(where, value);
  }
  return doc.toString();
}

/** Recipes for startTestHookflow: the shipped sources.yaml plus the named recipe files. */
export function recipeFiles(...entries: Array<string | [string, Record<string, unknown>, RecipeEdit[]?]>): Record<string, string> {
  const files: Record<string, string> = { 'sources.yaml': readFileSync(path.join(RECIPES, 'sources.yaml'), 'utf8') };
  for (const e of entries) {
    const [file, vars, edits] = typeof e === 'string' ? [e, {}, []] : e;
    files[file] = shippedRecipe(file, vars, edits ?? []);
  }
  return files;
}

export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

export function readJson<T = any>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

const scratch = mkdtempSync(path.join(tmpdir(), 'hookflow-recipe-payloads-'));
let payloadCounter = 0;

/** Writes a payload file (JSON for objects, as is for strings) for `hookflow send`. */
export function payloadFile(body: unknown, ext = 'json'): string {
  const file = path.join(scratch, `payload-${payloadCounter++}.${ext}`);
  writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body, null, 2));
  return file;
}

export interface IngressReply {
  accepted: boolean;
  event: { source: string; type: string; id: string };
  runs: Array<{ recipe: string; workflowId: string; duplicate: boolean }>;
}

export type TestHookflow = Awaited<ReturnType<typeof startTestHookflow>>;

export interface RecipeHarness {
  hf: TestHookflow;
  /** `hookflow send <source> <file> --url <ingress>/hooks/<source>`; asserts the 200 and returns the answer. */
  send(source: string, file: string, headers?: Record<string, string>): Promise<IngressReply>;
  /** The same, when a recipe's `respond` decides the answer: its status line and body. */
  sendRaw(source: string, file: string, headers?: Record<string, string>): Promise<{ status: string; body: string }>;
  /** The run's result, whether it completed or failed. */
  result(workflowId: string): Promise<RunResult>;
  stop(): Promise<void>;
}

/**
 * Starts hookflow on `recipes` with `env` (channels pointed at the loopback doubles). The same env
 * (webhook secrets) is given to `hookflow send`, which reads the shipped examples/sources.yaml.
 */
export async function startRecipes(opts: {
  recipes: Record<string, string>;
  env: Record<string, string>;
  taskQueue?: string;
  /** PUBLIC_URL of hookflow and of `hookflow send` (Twilio signs the URL it calls, e.g. behind a proxy). */
  publicUrl?: string;
}): Promise<RecipeHarness> {
  const env = { ...opts.env, ...(opts.publicUrl ? { PUBLIC_URL: opts.publicUrl } : {}) };
  const hf = await startTestHookflow({ recipes: opts.recipes, env, ...(opts.taskQueue ? { taskQueue: opts.taskQueue } : {}) });
  return {
    hf,
    send: (source, file, headers = {}) => hookflowSend(`${hf.url}/hooks/${source}`, source, file, headers, env),
    sendRaw: (source, file, headers = {}) => hookflowSendRaw(`${hf.url}/hooks/${source}`, source, file, headers, env),
    result: (workflowId) => runResult(hf, workflowId),
    stop: () => hf.stop(),
  };
}

/** Runs the real CLI: `node bin/hookflow.mjs send …`, with the webhook secrets in its environment; the answer as JSON. */
export async function hookflowSend(
  url: string,
  source: string,
  file: string,
  headers: Record<string, string>,
  env: Record<string, string>,
): Promise<IngressReply> {
  const { status, body } = await hookflowSendRaw(url, source, file, headers, env);
  assert.match(status, /^200 /, `hookflow send ${source}: ${status}\n${body}`);
  return JSON.parse(body) as IngressReply;
}

/** The same, for an answer that is not hookflow's JSON (a recipe's `respond`): its status line and body. */
export async function hookflowSendRaw(
  url: string,
  source: string,
  file: string,
  headers: Record<string, string>,
  env: Record<string, string>,
): Promise<{ status: string; body: string }> {
  const args = ['bin/hookflow.mjs', 'send', source, file, '--url', url];
  for (const [k, v] of Object.entries(headers)) args.push('--header', `${k}: ${v}`);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, RECIPES_DIR: RECIPES, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const [status, ...rest] = out.trim().split('\n');
  assert.equal(code, 0, `hookflow send ${source} ${path.basename(file)} failed (exit ${code}):\n${out}\n${err}`);
  return { status: status ?? '', body: rest.join('\n') };
}

export async function runResult(hf: TestHookflow, workflowId: string): Promise<RunResult> {
  try {
    return await resultOf<RunResult>(hf.client!.client, workflowId);
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const details = (err.cause as { details?: unknown[] } | undefined)?.details;
      const r = details?.[0] as RunResult | undefined;
      if (r) return r;
    }
    throw err;
  }
}

/** The only run an answer started, for the named recipe. */
export function onlyRun(reply: IngressReply, recipe: string): string {
  assert.deepEqual(
    reply.runs.map((r) => [r.recipe, r.duplicate]),
    [[recipe, false]],
    `expected one new run of ${recipe}, got ${JSON.stringify(reply.runs)}`,
  );
  return reply.runs[0]!.workflowId;
}

/** Resolves when `pred` holds (polled), or fails after `timeoutMs` saying what it waited for. */
export async function until(pred: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
