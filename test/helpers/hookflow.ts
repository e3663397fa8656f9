// Starts hookflow in-process (ingress + worker, or one of them) against the test run's real
// Temporal server, with its own recipes folder and task queue so test files never share work.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { startHookflow, type Hookflow, type Roles } from '../../src/app/hookflow.js';
import type { RunResult } from '../../src/core/types.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';

// Shared with the benches and drills, which own them (bench/ never imports from test/).
export { freePort } from '../../bench/lib/basics.js';
export { unsignedSource } from '../../bench/lib/recipes.js';

/** A fresh intake journal file in its own temp folder. */
export function journalFile(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-journal-')), 'intake.db');
}

export function temporalAddress(): string {
  const a = process.env.TEMPORAL_ADDRESS;
  if (!a) throw new Error('TEMPORAL_ADDRESS is not set: run the tests with `npm test`, which starts a Temporal dev server');
  return a;
}

/** A temp RECIPES_DIR holding the given files (name → YAML text). */
export function recipesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-recipes-'));
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

let queueCounter = 0;
export function uniqueTaskQueue(label: string): string {
  return `test-${label}-${process.pid}-${Date.now().toString(36)}-${queueCounter++}`;
}

export interface TestHookflowOptions {
  recipes: Record<string, string>;
  env?: Record<string, string>;
  roles?: Roles;
  taskQueue?: string;
  address?: string;
  hotReload?: boolean;
}

export async function startTestHookflow(opts: TestHookflowOptions): Promise<Hookflow & { url: string }> {
  const dir = recipesDir(opts.recipes);
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: '0',
    RECIPES_DIR: dir,
    TEMPORAL_ADDRESS: opts.address ?? temporalAddress(),
    TEMPORAL_TASK_QUEUE: opts.taskQueue ?? uniqueTaskQueue('hf'),
    HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1,::1,localhost',
    // Each hookflow of a test has its own journal, as each has its own task queue (not in the
    // recipes folder: its writes would wake the hot-reload watcher).
    HOOKFLOW_JOURNAL_URL: journalFile(),
    ...opts.env,
  };
  const config = loadConfig(env, process.cwd());
  const hf = await startHookflow(config, {
    roles: opts.roles ?? { ingress: true, worker: true },
    hotReload: opts.hotReload,
    logger: createLogger({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  });
  if (!hf.url && (opts.roles?.ingress ?? true)) throw new Error('the ingress did not start');
  return hf as Hookflow & { url: string };
}

/** Polls `fn` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}

/**
 * The handle of a run once it exists in Temporal. With journal intake a webhook is answered when the
 * delivery is journaled; the dispatcher starts its runs a moment later.
 */
export async function startedRun(client: Client, workflowId: string, timeoutMs = 20_000): Promise<WorkflowHandle> {
  const handle = client.workflow.getHandle(workflowId);
  await eventually(
    async () => {
      try {
        await handle.describe();
        return true;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
    },
    timeoutMs,
    `the run ${workflowId} to be started`,
  );
  return handle;
}

/** The result of a run, once the dispatcher has started it and it has finished. */
export async function resultOf<T = RunResult>(client: Client, workflowId: string, timeoutMs = 20_000): Promise<T> {
  return (await (await startedRun(client, workflowId, timeoutMs)).result()) as T;
}
