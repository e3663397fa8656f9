// What the fault drills share: hookflow processes started the way a user starts them
// (`node bin/hookflow.mjs start|serve|worker`), a recipe that POSTs to a counting sink, delivery
// with a provider's retries, and checks against Temporal.
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { sleep } from '../../bench/lib/basics.js';
import { benchRecipesDir } from '../../bench/lib/recipes.js';
import { type Proc, spawnProc } from '../../bench/lib/processes.js';
import { isOk, postForJson } from '../../bench/lib/http.js';

export interface DrillResult {
  name: string;
  pass: boolean;
  /** One line of counts. */
  counts: string;
  problems: string[];
}

export function drillResult(name: string, counts: string, problems: string[]): DrillResult {
  return { name, pass: problems.length === 0, counts, problems };
}

/** Recipes folder: one recipe `relay-0` whose http step POSTs to `<sinkUrl>/e/relay-0/<event id>`. */
export function relayRecipes(sinkUrl: string, extra: { retry?: string; timeout?: string } = {}): string {
  return benchRecipesDir({ count: 1, sinkUrl, ...extra });
}

export function workflowIdOf(eventId: string): string {
  return `relay-0/bench/${eventId}`;
}

export function hookflow(cmd: 'start' | 'serve' | 'worker', env: Record<string, string>, opts: { detached?: boolean } = {}): Promise<Proc> {
  return spawnProc(['bin/hookflow.mjs', cmd], { LOG_LEVEL: 'warn', HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1', PORT: '0', ...env }, undefined, opts);
}

export function eventBody(id: string): string {
  return JSON.stringify({ type: 'ping', id });
}

export interface Delivery {
  id: string;
  /** Status of every attempt, in order (0 = connection refused/reset). */
  statuses: number[];
  accepted: boolean;
}

/** Delivers one event like a provider: retries on 503, 5xx and connection errors, `attempts` times. */
export async function deliver(url: () => string, id: string, attempts: number, backoffMs: number): Promise<Delivery> {
  const d: Delivery = { id, statuses: [], accepted: false };
  for (let i = 0; i < attempts; i++) {
    const { status } = await postForJson(`${url()}/hooks/bench`, eventBody(id));
    d.statuses.push(status);
    if (isOk(status)) {
      d.accepted = true;
      return d;
    }
    if (status >= 400 && status < 500) return d;
    await sleep(backoffMs);
  }
  return d;
}

export interface RunStatuses {
  completed: string[];
  running: string[];
  missing: string[];
  other: string[];
}

/** Looks each run up in Temporal. */
export async function runStatuses(address: string, eventIds: string[]): Promise<RunStatuses> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const out: RunStatuses = { completed: [], running: [], missing: [], other: [] };
  try {
    for (let i = 0; i < eventIds.length; i += 25) {
      await Promise.all(
        eventIds.slice(i, i + 25).map(async (id) => {
          try {
            const d = await client.workflow.getHandle(workflowIdOf(id)).describe();
            if (d.status.name === 'COMPLETED') out.completed.push(id);
            else if (d.status.name === 'RUNNING') out.running.push(id);
            else out.other.push(`${id}: ${d.status.name}`);
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) out.missing.push(id);
            else throw err;
          }
        }),
      );
    }
  } finally {
    await connection.close();
  }
  return out;
}

/** Polls until every run is completed (or the deadline passes); returns the last look. */
export async function waitForCompletion(address: string, eventIds: string[], timeoutMs: number): Promise<RunStatuses> {
  const deadline = Date.now() + timeoutMs;
  let pending = eventIds;
  const done: string[] = [];
  for (;;) {
    const s = await runStatuses(address, pending);
    done.push(...s.completed);
    pending = [...s.running, ...s.missing];
    if (pending.length === 0 || Date.now() > deadline) return { ...s, completed: done };
    await sleep(1000);
  }
}

export function sample(xs: string[], n = 5): string {
  return xs.length ? `${xs.slice(0, n).join(', ')}${xs.length > n ? ` … (${xs.length})` : ''}` : '';
}
