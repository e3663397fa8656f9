// HOOKFLOW_OUTBOUND_RATE in a worker process: each limited host gets an activity-only worker on its
// own task queue (the setting is parsed in src/core/outbound-rates.ts, which says how the limit holds).
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { rateQueue, type OutboundRate } from '../core/outbound-rates.js';
import type { OutboundActivities } from '../core/runtime-contract.js';

/** One activity-only worker per limited host, polling its task queue at the host's rate. */
export async function createRateWorkers(opts: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  rates: OutboundRate[];
  activities: OutboundActivities;
  dataConverter?: WorkerOptions['dataConverter'];
}): Promise<Worker[]> {
  return Promise.all(
    opts.rates.map((r) =>
      Worker.create({
        connection: opts.connection,
        namespace: opts.namespace,
        taskQueue: rateQueue(opts.taskQueue, r.host),
        activities: opts.activities,
        // Enforced by the Temporal server for the task queue as a whole: every worker process together.
        maxTaskQueueActivitiesPerSecond: r.perSecond,
        ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
        shutdownGraceTime: '30s',
      }),
    ),
  );
}
