// Configuration from the environment (and `.env` in the working directory), as the spec names it.
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface Config {
  port: number;
  /** Address the HTTP servers bind (HOST); undefined → every interface, as Node's listen() does. */
  host?: string;
  publicUrl: string;
  recipesDir: string;
  /** unset → `hookflow start` runs an embedded dev server */
  temporalAddress?: string;
  namespace: string;
  taskQueue: string;
  /** Deadline for storing a webhook's runs in Temporal before answering 503 (HOOKFLOW_START_TIMEOUT_MS). */
  startTimeoutMs: number;
  /** Where `.hookflow/` lives (dev server DB, CLI cache, workflow bundles). */
  home: string;
  env: Record<string, string | undefined>;
}

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
    recipesDir: path.resolve(cwd, env.RECIPES_DIR ?? 'recipes'),
    temporalAddress: env.TEMPORAL_ADDRESS || undefined,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE || 'hookflow',
    startTimeoutMs: Number(env.HOOKFLOW_START_TIMEOUT_MS ?? 4000),
    home: cwd,
    env,
  };
}
