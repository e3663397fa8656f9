// The embedded Temporal dev server `hookflow start` runs when TEMPORAL_ADDRESS is unset, with its
// state in .hookflow/temporal.db.
import path from 'node:path';
import type { Config } from '../config.js';
import type { DevServer } from '../temporal/dev-server.js';
import { portSetting, TEMPORAL_PORT_ENV, TEMPORAL_UI_PORT_ENV } from './preflight.js';
import type { CleanupStack } from './shutdown.js';

export interface DevServerPorts {
  port: number;
  uiPort: number;
}

/** The ports asked for (options first, then the environment), by default 7233 and 8233. */
export function devServerPorts(config: Config, opts: { devServerPort?: number; uiPort?: number }): DevServerPorts {
  return {
    port: opts.devServerPort ?? portSetting(config.env, TEMPORAL_PORT_ENV, 7233),
    uiPort: opts.uiPort ?? portSetting(config.env, TEMPORAL_UI_PORT_ENV, 8233),
  };
}

export async function startEmbeddedTemporal(config: Config, ports: DevServerPorts, say: (line: string) => void, cleanups: CleanupStack): Promise<DevServer> {
  say(`starting the embedded Temporal dev server on 127.0.0.1:${ports.port} (state in .hookflow/temporal.db)…`);
  // Loaded here, not at the top: @temporalio/testing is only needed when hookflow runs the server.
  const { startDevServer } = await import('../temporal/dev-server.js');
  const devServer = await startDevServer({
    home: config.home,
    dbFile: path.join(config.home, '.hookflow', 'temporal.db'),
    port: ports.port,
    uiPort: ports.uiPort,
    namespace: config.namespace,
    env: config.env,
    log: say,
  });
  cleanups.push(() => devServer.stop());
  return devServer;
}
