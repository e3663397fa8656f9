// The worker role: the activities (through the development outbox when it is on), the main worker
// on the task queue, and one rate-limited worker per host of HOOKFLOW_OUTBOUND_RATE beside it.
import type { DataConverter } from '@temporalio/common';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { createJournalActivities } from '../activities/journal.js';
import { withOutbox, type Outbox } from '../activities/outbox.js';
import type { Config } from '../config.js';
import type { Journal } from '../intake/journal.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { OutboundRate } from '../core/outbound-rates.js';
import { createRateWorkers } from '../temporal/outbound-rates.js';
import { createWorker, wrapActivities } from '../temporal/worker.js';
import type { CleanupStack } from './shutdown.js';

export interface WorkerRoleDeps {
  config: Config;
  connection: NativeConnection;
  dataConverter: DataConverter | undefined;
  outboundRates: OutboundRate[];
  outbox: Outbox | undefined;
  /** The intake journal, for wait_for steps (opened on first use). */
  journal: () => Promise<Journal>;
  metrics: Metrics;
  logger: Logger;
  say: (line: string) => void;
  cleanups: CleanupStack;
}

/** Starts the workers; returns the main one (its state is the process's health). */
export async function startWorkerRole(deps: WorkerRoleDeps): Promise<Worker> {
  const { config, connection, dataConverter, outboundRates, logger } = deps;
  const raw = createActivities({ env: config.env, logger });
  const outbound = wrapActivities(deps.outbox ? withOutbox(raw, deps.outbox, config.env) : raw, deps.metrics, logger);
  const worker = await createWorker({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    activities: { ...outbound, ...createJournalActivities(deps.journal) },
    home: config.home,
    dataConverter,
  });
  const rateWorkers = await createRateWorkers({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    rates: outboundRates,
    activities: outbound,
    ...(dataConverter ? { dataConverter } : {}),
  });
  for (const rw of rateWorkers) runUntilStopped(rw, 'a rate-limited outbound worker stopped with an error', logger, deps.cleanups);
  if (outboundRates.length > 0) deps.say(`outbound rate limits: ${outboundRates.map((r) => `${r.host} ${r.text}`).join(', ')}`);
  runUntilStopped(worker, 'worker stopped with an error', logger, deps.cleanups);
  return worker;
}

/** Runs a worker until shutdown, which lets its activities in flight finish (the worker's grace). */
function runUntilStopped(worker: Worker, failure: string, logger: Logger, cleanups: CleanupStack): void {
  const running = worker.run();
  running.catch((err: unknown) => logger.error({ err }, failure));
  cleanups.push(async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => {});
  });
}
