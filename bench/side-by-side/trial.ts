// One measured trial: load one system, wait until every accepted webhook has reached its sink (or
// the drain cap passes), and count what happened — answers, deliveries, latencies and CPU.
import { sleep } from '../lib/basics.js';
import { percentile, sorted } from '../lib/stats.js';
import { cpuMs, loadAvg, treeCpuMs } from '../lib/proc-stats.js';
import { isOk } from '../lib/http.js';
import type { LoadRun } from './load.js';
import type { System } from './systems.js';

export interface Trial {
  system: string;
  sent: number;
  /** Answers by status ("200", "503", …) and failures ("timeout", "connection"). */
  answers: Record<string, number>;
  accepted: number;
  /** Unique ids of this trial at the sink (accepted or not: a timed-out request may still run). */
  delivered: number;
  /** Accepted ids that never reached the sink within the drain cap. */
  missing: number;
  /** Deliveries beyond the first of an id. */
  duplicates: number;
  /** Delivered ids whose webhook was not answered 2xx. */
  deliveredUnacked: number;
  loadS: number;
  /** First request sent → last delivery at the sink (or the cap). */
  untilDeliveredS: number;
  /** Unique ids delivered per second, timed until every accepted one arrived. */
  deliveredPerS: number;
  /** 2xx answers per second of load. */
  ackPerS: number;
  ackP50: number;
  ackP99: number;
  e2eP50: number;
  e2eP99: number;
  /** CPU of the system's process tree per delivered event (ms). */
  cpuMsPerEvent: number;
  /** CPU of the Temporal server per delivered event (ms), for systems on Temporal. */
  temporalCpuMsPerEvent?: number;
  loadAvg: number;
}

export async function measure(system: System, load: () => Promise<LoadRun>, drainCapMs: number): Promise<Trial> {
  const cpu0 = treeCpuMs(system.pid);
  const t0 = system.temporal ? cpuMs(system.temporal.pid) : NaN;
  const run = await load();
  const accepted = run.sent.filter((e) => isOk(e.status));
  const arrived = (id: string): boolean => system.sink.first.has(id);
  const deadline = Date.now() + drainCapMs;
  while (Date.now() < deadline && !accepted.every((e) => arrived(e.id))) await sleep(50);
  // Stragglers of refused or timed-out requests, and duplicates, arrive within a moment more.
  await sleep(500);
  const cpu = treeCpuMs(system.pid) - cpu0;
  const tcpu = system.temporal ? cpuMs(system.temporal.pid) - t0 : NaN;

  const delivered = run.sent.filter((e) => arrived(e.id));
  const lastArrival = Math.max(run.endedAt, ...delivered.map((e) => system.sink.first.get(e.id)!));
  const untilDeliveredS = (lastArrival - run.startedAt) / 1000;
  const loadS = (run.endedAt - run.startedAt) / 1000;
  const answers: Record<string, number> = {};
  for (const e of run.sent) {
    const k = e.error ?? String(e.status);
    answers[k] = (answers[k] ?? 0) + 1;
  }
  const ack = sorted(run.sent.map((e) => e.answeredAt - e.t0));
  const e2e = sorted(delivered.map((e) => system.sink.first.get(e.id)! - e.t0));
  return {
    system: system.name,
    sent: run.sent.length,
    answers,
    accepted: accepted.length,
    delivered: delivered.length,
    missing: accepted.filter((e) => !arrived(e.id)).length,
    duplicates: run.sent.reduce((n, e) => n + Math.max(0, (system.sink.hits.get(e.id) ?? 0) - 1), 0),
    deliveredUnacked: delivered.filter((e) => !isOk(e.status)).length,
    loadS,
    untilDeliveredS,
    deliveredPerS: delivered.length / untilDeliveredS,
    ackPerS: accepted.length / loadS,
    ackP50: percentile(ack, 50),
    ackP99: percentile(ack, 99),
    e2eP50: percentile(e2e, 50),
    e2eP99: percentile(e2e, 99),
    cpuMsPerEvent: cpu / delivered.length,
    ...(system.temporal ? { temporalCpuMsPerEvent: tcpu / delivered.length } : {}),
    loadAvg: loadAvg(),
  };
}
