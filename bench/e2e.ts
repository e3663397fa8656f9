// End to end: POST → the run's `http` step reaches a loopback sink. Open-loop load at a steady rate;
// the sink counts unique deliveries, so a lost event shows as an accepted id that never arrives.
// Also where the time goes, read from the runs' histories (workflow task and activity timings).
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { sleep } from './lib/basics.js';
import { median, percentile, sorted } from './lib/stats.js';
import { benchRecipesDir } from './lib/recipes.js';
import { type Proc, spawnProc } from './lib/processes.js';
import { type CountingSink, startCountingSink } from './lib/sink.js';
import { isOk } from './lib/http.js';
import { openLoop } from './lib/load.js';

const { temporal } = proto;
const ET = temporal.api.enums.v1.EventType;

export interface E2EResult {
  rate: number;
  sent: number;
  accepted: number;
  refused: number;
  lost: number;
  p50: number;
  p99: number;
  ackP50: number;
  ackP99: number;
  /** How late the generator fell behind its schedule at worst (ms). */
  behindMs: number;
}

export interface E2EProc {
  proc: Proc;
  sink: CountingSink;
  address: string;
  taskQueue: string;
  stop(): Promise<void>;
}

/** `hookflow start` (ingress + worker in one process) with one http-step recipe aimed at a counting sink. */
export async function startE2EProc(address: string, env: Record<string, string> = {}, recipes = 1): Promise<E2EProc> {
  const sink = await startCountingSink();
  const dir = benchRecipesDir({ count: recipes, sinkUrl: sink.url });
  const taskQueue = `bench-e2e-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const proc = await spawnProc(['--import', 'tsx', 'bench/procs/hookflow.ts'], {
    BENCH_MODE: 'start',
    PORT: '0',
    RECIPES_DIR: dir,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...env,
  });
  return {
    proc,
    sink,
    address,
    taskQueue,
    async stop() {
      await proc.stop();
      await sink.close();
    },
  };
}

/** Sends `rate`/s for `durationMs`, then waits up to `drainMs` for every accepted event at the sink. */
export async function steadyRate(p: E2EProc, rate: number, durationMs: number, drainMs: number, tag: string): Promise<E2EResult & { ids: string[] }> {
  const { sent, behindMs } = await openLoop({ url: `${p.proc.url}/hooks/bench`, rate, durationMs, idPrefix: tag });
  const accepted = sent.filter((e) => isOk(e.status));
  const key = (id: string): string => `relay-0/${id}`;
  const deadline = Date.now() + drainMs;
  while (Date.now() < deadline && accepted.some((e) => !p.sink.first.has(key(e.id)))) await sleep(100);
  const lat = sorted(accepted.filter((e) => p.sink.first.has(key(e.id))).map((e) => p.sink.first.get(key(e.id))! - e.t0));
  const ack = sorted(sent.map((e) => e.answeredAt - e.t0));
  return {
    rate,
    sent: sent.length,
    accepted: accepted.length,
    refused: sent.length - accepted.length,
    lost: accepted.filter((e) => !p.sink.first.has(key(e.id))).length,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    ackP50: percentile(ack, 50),
    ackP99: percentile(ack, 99),
    behindMs,
    ids: accepted.map((e) => e.id),
  };
}

export interface Breakdown {
  /** WorkflowExecutionStarted → first WorkflowTaskStarted (waiting for a poller). */
  wftScheduleToStart: number;
  /** First WorkflowTaskStarted → Completed (the worker's activation, sandbox included). */
  wftStartToComplete: number;
  /** ActivityTaskScheduled → ActivityTaskStarted. */
  activityScheduleToStart: number;
  /** ActivityTaskStarted → Completed (the http call to the sink). */
  activityRun: number;
  /** ActivityTaskCompleted → run completed (second workflow task). */
  finish: number;
  /** Started → completed, the whole run. */
  total: number;
  samples: number;
}

function ms(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!t) return NaN;
  return Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6;
}

/** Median timings of the given runs, read from their histories. */
export async function historyBreakdown(address: string, workflowIds: string[]): Promise<Breakdown> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const cols: Record<Exclude<keyof Breakdown, 'samples'>, number[]> = {
    wftScheduleToStart: [],
    wftStartToComplete: [],
    activityScheduleToStart: [],
    activityRun: [],
    finish: [],
    total: [],
  };
  try {
    for (const id of workflowIds) {
      const h = await client.workflow.getHandle(id).fetchHistory();
      const evs = h.events ?? [];
      const at = (type: number, nth = 0): number => ms(evs.filter((e) => e.eventType === type)[nth]?.eventTime);
      const started = at(ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
      cols.wftScheduleToStart.push(at(ET.EVENT_TYPE_WORKFLOW_TASK_STARTED) - started);
      cols.wftStartToComplete.push(at(ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) - at(ET.EVENT_TYPE_WORKFLOW_TASK_STARTED));
      cols.activityScheduleToStart.push(at(ET.EVENT_TYPE_ACTIVITY_TASK_STARTED) - at(ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED));
      cols.activityRun.push(at(ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) - at(ET.EVENT_TYPE_ACTIVITY_TASK_STARTED));
      cols.finish.push(at(ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) - at(ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED));
      cols.total.push(at(ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) - started);
    }
  } finally {
    await connection.close();
  }
  return {
    wftScheduleToStart: median(cols.wftScheduleToStart),
    wftStartToComplete: median(cols.wftStartToComplete),
    activityScheduleToStart: median(cols.activityScheduleToStart),
    activityRun: median(cols.activityRun),
    finish: median(cols.finish),
    total: median(cols.total),
    samples: workflowIds.length,
  };
}

export interface MaxRateResult {
  best?: E2EResult;
  tried: E2EResult[];
}

/**
 * Steps the rate up until a step loses an event, refuses one, or stops keeping up (p99 over `maxP99Ms`).
 * Each step sends for `stepMs` and waits up to `drainMs` for stragglers.
 */
export async function maxSteadyRate(
  p: E2EProc,
  rates: number[],
  stepMs: number,
  drainMs: number,
  maxP99Ms: number,
  log: (l: string) => void,
): Promise<MaxRateResult> {
  const tried: E2EResult[] = [];
  let best: E2EResult | undefined;
  for (const rate of rates) {
    const r = await steadyRate(p, rate, stepMs, drainMs, `max-${rate}-${Date.now().toString(36)}`);
    const { ids: _ids, ...row } = r;
    tried.push(row);
    const ok = r.lost === 0 && r.refused === 0 && r.p99 <= maxP99Ms && r.behindMs < 1000;
    log(`  ${rate}/s: sent ${r.sent}, accepted ${r.accepted}, lost ${r.lost}, e2e p50 ${r.p50} ms p99 ${r.p99} ms ${ok ? 'ok' : '→ over the limit'}`);
    if (!ok) break;
    best = row;
    // Let the backlog (if any) settle before the next step.
    await sleep(2000);
  }
  return { best, tried };
}

export { median };
