// The embedded Temporal dev server of `npm start` and of the tests: the real server (the Temporal
// CLI's `server start-dev`, SQLite-backed), run through the SDK's ephemeral-server support.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureTemporalCli } from './cli-binary.js';
import { installTemporalRuntime } from './runtime.js';
import { SEARCH_ATTRIBUTE_KEYS } from './search-attributes.js';

export interface DevServerOptions {
  /** Project root: the CLI is cached in `<home>/.hookflow/bin`. */
  home: string;
  /** SQLite file for history that survives restarts; omitted → in memory. */
  dbFile?: string;
  port?: number;
  /** Omitted → no UI. */
  uiPort?: number;
  namespace?: string;
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  /** Where the CLI came from: TEMPORAL_CLI, cache, PATH, built, or the SDK's download. */
  cli: string;
  stop(): Promise<void>;
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const log = opts.log ?? ((l: string) => console.error(l));
  installTemporalRuntime();
  const found = await ensureTemporalCli({ home: opts.home, env: opts.env, log });
  if (!found) log('no Temporal CLI and no Go to build one: trying the SDK download of the CLI (needs internet)');
  if (opts.dbFile) mkdirSync(path.dirname(opts.dbFile), { recursive: true });
  const ip = '127.0.0.1';
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: found ? { type: 'existing-path', path: found.path } : { type: 'cached-download', downloadDir: path.join(opts.home, '.hookflow', 'download') },
      ip,
      port: opts.port,
      ui: opts.uiPort !== undefined,
      uiPort: opts.uiPort,
      dbFilename: opts.dbFile,
      namespace: opts.namespace ?? 'default',
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      log: { format: 'json', level: 'error' },
      // WAL keeps every commit durable (synchronous stays FULL) while starts no longer wait on
      // rollback-journal fsyncs: ~2.5x the durable starts per second (docs/BENCHMARKS.md). Eager
      // activity dispatch hands a run's first activity to the worker with its workflow task.
      extraArgs: ['--sqlite-pragma', 'journal_mode=wal', '--dynamic-config-value', 'system.enableActivityEagerExecution=true'],
    },
  });
  let stopped = false;
  return {
    address: env.address,
    uiUrl: opts.uiPort !== undefined ? `http://localhost:${opts.uiPort}` : undefined,
    cli: found ? `${found.path} (${found.source})` : 'SDK download',
    async stop() {
      if (stopped) return;
      stopped = true;
      await env.teardown();
    },
  };
}
