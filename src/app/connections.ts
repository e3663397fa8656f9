// This process's ways into Temporal: the worker's NativeConnection (worker role) and the client that
// starts runs, signals and reads them (every role), with hookflow's search attributes ensured.
import type { DataConverter } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config.js';
import { HookflowClient } from '../temporal/client.js';
import type { OutboundRate } from '../core/outbound-rates.js';
import type { Roles } from './hookflow.js';
import type { CleanupStack } from './shutdown.js';

export interface Connections {
  /** The worker's connection; absent without the worker role. */
  connection?: NativeConnection;
  client: HookflowClient;
}

export async function connectTemporal(
  config: Config,
  opts: { address: string; roles: Roles; dataConverter: DataConverter | undefined; outboundRates: OutboundRate[]; cleanups: CleanupStack },
): Promise<Connections> {
  const { address, roles, cleanups } = opts;
  // The worker's connection comes first: with both roles in one process the ingress starts runs
  // through it with eager workflow start (the first workflow task comes back with the start).
  // (@temporalio/worker, the native core, is loaded only by a process with the worker role.)
  const connection = roles.worker ? await (await import('@temporalio/worker')).NativeConnection.connect({ address }) : undefined;
  if (connection) cleanups.push(() => connection.close());
  const client = await HookflowClient.connect({
    address,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    dataConverter: opts.dataConverter,
    callTimeoutMs: config.startTimeoutMs,
    ...(opts.outboundRates.length > 0 ? { limitedHosts: opts.outboundRates.map((r) => r.host) } : {}),
    ...(connection && roles.ingress ? { workerConnection: connection } : {}),
  });
  cleanups.push(() => client.close());
  await client.ensureSearchAttributes();
  return { ...(connection ? { connection } : {}), client };
}
