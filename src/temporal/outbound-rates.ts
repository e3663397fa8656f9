// HOOKFLOW_OUTBOUND_RATE: `host=rate` pairs, comma-separated, e.g. `api.example.com=5/s,hooks.slack.com=1/s`
// (rates per second `/s`, per minute `/m` or per hour `/h`). Each host gets an activity-only worker
// on its own task queue in every worker process (see src/core/outbound-rates.ts).
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { rateQueue } from '../core/outbound-rates.js';
import type { OutboundActivities } from '../core/runtime-contract.js';

export interface OutboundRate {
  host: string;
  /** Requests per second (may be below 1). */
  perSecond: number;
  /** As written, for messages. */
  text: string;
}

const PER: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** Parses the variable; throws with the entry that is wrong and the expected form. */
export function parseOutboundRates(value: string | undefined): OutboundRate[] {
  const out: OutboundRate[] = [];
  for (const entry of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])=(\d+(?:\.\d+)?)\/(s|m|h)$/.exec(entry);
    const n = m ? Number(m[2]) : 0;
    if (!m || !(n > 0)) {
      throw new Error(`HOOKFLOW_OUTBOUND_RATE: "${entry}" is not host=rate, e.g. "api.example.com=5/s" (rates per /s, /m or /h; several comma-separated)`);
    }
    const host = m[1]!.toLowerCase();
    if (out.some((r) => r.host === host)) throw new Error(`HOOKFLOW_OUTBOUND_RATE: ${host} is listed twice`);
    out.push({ host, perSecond: n / PER[m[3]!]!, text: `${m[2]}/${m[3]}` });
  }
  return out;
}

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
