// Configuration from the environment (and `.env` in the working directory), as the spec names it.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseDuration } from './core/duration.js';

export interface Config {
  port: number;
  /** Address the HTTP servers bind (HOST); undefined → every interface, as Node's listen() does. */
  host?: string;
  publicUrl: string;
  recipesDir: string;
  /** RECIPES_DIR was unset and ./recipes holds no recipe: the shipped ./examples run instead (said at start). */
  examplesInstead?: { wanted: string };
  /** unset → `hookflow start` runs an embedded dev server */
  temporalAddress?: string;
  namespace: string;
  taskQueue: string;
  /** Deadline for storing a webhook's runs in Temporal before answering 503 (HOOKFLOW_START_TIMEOUT_MS). */
  startTimeoutMs: number;
  /** Where `.hookflow/` lives (dev server DB, CLI cache, workflow bundles, the intake journal). */
  home: string;
  /** HOOKFLOW_INTAKE: `journal` answers once the delivery is journaled; `direct` once Temporal stored its runs. */
  intake: 'journal' | 'direct';
  /** HOOKFLOW_JOURNAL_URL: `postgres://…`, else a SQLite file (default `.hookflow/intake.db`). */
  journalUrl: string;
  /** HOOKFLOW_JOURNAL_MAX_PENDING: queued runs beyond which new webhooks get 503. */
  maxPending: number;
  /** HOOKFLOW_JOURNAL_RETENTION in ms: how long finished requests stay in the log. */
  retentionMs: number;
  /** TEMPORAL_UI_URL: where run links in the request log point (the embedded dev server's UI when unset). */
  temporalUiUrl?: string;
  env: Record<string, string | undefined>;
}

/**
 * How long one call to Temporal (a start, a signal) may take before the ingress answers 503 +
 * Retry-After (HOOKFLOW_START_TIMEOUT_MS): under the providers' own timeouts (Sendbird waits 5 s).
 */
export const DEFAULT_START_TIMEOUT_MS = 4_000;

/** Reads `.env` into process.env without overriding what is already set. */
export function loadDotEnv(cwd: string = process.cwd()): void {
  const file = path.join(cwd, '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}

export function loadConfig(env: Record<string, string | undefined> = process.env, cwd: string = process.cwd()): Config {
  const rawPort = env.PORT ?? '3000';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT=${rawPort} is not a port number`);
  const host = env.HOST?.trim() || undefined;
  return {
    port,
    ...(host ? { host } : {}),
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    ...recipesDirOf(env, cwd),
    temporalAddress: env.TEMPORAL_ADDRESS || undefined,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE || 'hookflow',
    startTimeoutMs: Number(env.HOOKFLOW_START_TIMEOUT_MS ?? DEFAULT_START_TIMEOUT_MS),
    home: cwd,
    intake: intakeMode(env.HOOKFLOW_INTAKE),
    journalUrl: env.HOOKFLOW_JOURNAL_URL || defaultJournal(cwd, env.TEMPORAL_NAMESPACE || 'default', env.TEMPORAL_TASK_QUEUE || 'hookflow'),
    maxPending: positiveInt('HOOKFLOW_JOURNAL_MAX_PENDING', env.HOOKFLOW_JOURNAL_MAX_PENDING, 100_000),
    retentionMs: durationSetting('HOOKFLOW_JOURNAL_RETENTION', env.HOOKFLOW_JOURNAL_RETENTION, '7d'),
    ...(env.TEMPORAL_UI_URL?.trim() ? { temporalUiUrl: env.TEMPORAL_UI_URL.trim().replace(/\/+$/, '') } : {}),
    env,
  };
}

/**
 * RECIPES_DIR, else ./recipes — or, when ./recipes is absent or holds no *.yaml, the shipped
 * ./examples, so a fresh clone runs them while a user's own folder replaces them entirely.
 */
function recipesDirOf(env: Record<string, string | undefined>, cwd: string): { recipesDir: string; examplesInstead?: { wanted: string } } {
  if (env.RECIPES_DIR) return { recipesDir: path.resolve(cwd, env.RECIPES_DIR) };
  const wanted = path.resolve(cwd, 'recipes');
  const examples = path.resolve(cwd, 'examples');
  let own: boolean;
  try {
    own = readdirSync(wanted).some((f) => /\.ya?ml$/.test(f) && f !== 'sources.yaml' && f !== 'sources.yml');
  } catch {
    own = false;
  }
  if (own || !existsSync(examples)) return { recipesDir: wanted };
  return { recipesDir: examples, examplesInstead: { wanted } };
}

function intakeMode(v: string | undefined): Config['intake'] {
  if (v === undefined || v === '' || v === 'journal') return 'journal';
  if (v === 'direct') return 'direct';
  throw new Error(`HOOKFLOW_INTAKE=${v} is not a mode: use "journal" (the default) or "direct"`);
}

function positiveInt(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${v} is not a positive whole number`);
  return n;
}

function durationSetting(name: string, v: string | undefined, fallback: string): number {
  try {
    return parseDuration(v?.trim() || fallback);
  } catch {
    throw new Error(`${name}=${v} is not a duration (e.g. 7d, 12h, 30m)`);
  }
}

/** `.hookflow/intake.db`, or one file per deployment when the namespace or task queue is not the default. */
function defaultJournal(cwd: string, namespace: string, taskQueue: string): string {
  const suffix = namespace === 'default' && taskQueue === 'hookflow' ? '' : `-${`${namespace}-${taskQueue}`.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  return path.join(cwd, '.hookflow', `intake${suffix}.db`);
}
