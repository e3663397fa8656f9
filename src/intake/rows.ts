// Row ↔ object mapping shared by the SQLite and PostgreSQL journals, and the recipe snapshots they
// store once per version (a run carries the recipe as it was when its webhook arrived).
import { createHash } from 'node:crypto';
import { globMatches } from '../core/glob.js';
import type { Json, Recipe, TriggerEvent } from '../core/types.js';
import type { RequestDetail, RequestEntry, RequestFilter, RequestSummary, RunState, RunView, Verdict, WaitCandidate } from './journal.js';

/** Tolerated clock difference between ingress processes when comparing an event's time with a wait's `since`. */
export const SKEW_MS = 5_000;

/** A recipe as journaled: without its `tests:` (runs never need them), and its content hash. */
export interface RecipeVersion {
  hash: string;
  json: string;
}

const versions = new WeakMap<Recipe, RecipeVersion>();

/** The stored form of a recipe, computed once per loaded recipe object. */
export function recipeVersion(recipe: Recipe): RecipeVersion {
  let v = versions.get(recipe);
  if (!v) {
    const { tests: _tests, ...rest } = recipe;
    const json = JSON.stringify(rest);
    v = { hash: createHash('sha256').update(json).digest('base64url').slice(0, 22), json };
    versions.set(recipe, v);
  }
  return v;
}

/** Columns of `requests` in insertion order (both stores use the same names). */
export function requestColumns(e: RequestEntry, deliverySeq: number | null): Array<string | number | Buffer | null> {
  return [
    e.id,
    e.receivedAt,
    e.source,
    e.method,
    e.path,
    JSON.stringify(e.headers),
    e.body,
    e.bodySize,
    e.verdict,
    e.status,
    e.error?.code ?? null,
    e.error?.message ?? null,
    e.event?.type ?? null,
    e.event?.id ?? null,
    deliverySeq,
    e.replayOf ?? null,
  ];
}

export const REQUEST_COLUMNS =
  'id, received_at, source, method, path, headers, body, body_size, verdict, status, error_code, error_message, event_type, event_id, delivery_seq, replay_of';

export const SUMMARY_COLUMNS =
  'id, received_at, source, method, verdict, status, error_code, error_message, event_type, event_id, body_size, delivery_seq, replay_of';

type Cell = unknown;

export function num(v: Cell): number {
  return typeof v === 'bigint' ? Number(v) : Number(v);
}

export function str(v: Cell): string | undefined {
  return v === null || v === undefined ? undefined : String(v);
}

export function summaryFrom(row: Record<string, Cell>, runs: RunView[]): RequestSummary {
  const code = str(row.error_code);
  const type = str(row.event_type);
  return {
    id: String(row.id),
    receivedAt: num(row.received_at),
    source: String(row.source),
    method: String(row.method),
    verdict: String(row.verdict) as Verdict,
    status: num(row.status),
    ...(code ? { error: { code, message: str(row.error_message) ?? '' } } : {}),
    ...(type !== undefined ? { event: { type, id: str(row.event_id) ?? '' } } : {}),
    bodySize: num(row.body_size),
    runs,
    ...(str(row.replay_of) ? { replayOf: str(row.replay_of) } : {}),
  };
}

/** A `runs` row as the answer and the request log show it; `duplicate` is the requester's view. */
export function runFrom(row: Record<string, Cell>, duplicate: boolean): RunView {
  const error = str(row.last_error);
  const startedAt = row.started_at === null || row.started_at === undefined ? undefined : num(row.started_at);
  return {
    recipe: String(row.recipe),
    workflowId: String(row.workflow_id),
    state: String(row.state) as RunState,
    duplicate,
    ...(error ? { error } : {}),
    attempts: num(row.attempts),
    ...(startedAt !== undefined ? { startedAt } : {}),
  };
}

export function parseEvent(v: Cell): TriggerEvent {
  return JSON.parse(String(v)) as TriggerEvent;
}

/**
 * The request log's page as SQL: the filter's conditions, newest first, the limit clamped to
 * 1..1000. `placeholder(n)` writes the n-th parameter (`?` for SQLite, `$n` for PostgreSQL).
 */
export function listRequestsQuery(filter: RequestFilter, placeholder: (n: number) => string): { sql: string; params: Array<string | number> } {
  const where: string[] = [];
  const params: Array<string | number> = [];
  const conditions: Array<[string, string | number | undefined]> = [
    ['source =', filter.source],
    ['verdict =', filter.verdict],
    ['received_at >=', filter.since],
    ['id <', filter.before],
  ];
  for (const [test, value] of conditions) {
    if (value === undefined) continue;
    params.push(value);
    where.push(`${test} ${placeholder(params.length)}`);
  }
  const limit = Math.max(1, Math.min(filter.limit ?? 50, 1000));
  return { sql: `SELECT ${SUMMARY_COLUMNS} FROM requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`, params };
}

/** The deliveries (their seq) that a page of request rows points to, each once. */
export function deliverySeqs(rows: Array<Record<string, Cell>>): number[] {
  return [
    ...new Set(
      rows
        .map((r) => r.delivery_seq)
        .filter((s) => s !== null && s !== undefined)
        .map(num),
    ),
  ];
}

/** Request rows as summaries, each with the runs of its delivery (a duplicate's runs marked as such). */
export function summariesWithRuns(rows: Array<Record<string, Cell>>, runRows: Array<Record<string, Cell>>): RequestSummary[] {
  const bySeq = runsByDelivery(runRows);
  return rows.map((r) =>
    summaryFrom(
      r,
      (bySeq.get(num(r.delivery_seq)) ?? []).map((x) => runFrom(x, r.verdict === 'duplicate')),
    ),
  );
}

/** One request row as the log's detail view: its summary and runs, headers, body and the event it became (if any). */
export function detailFrom(row: Record<string, Cell>, runs: RunView[], body: Buffer, event: Cell): RequestDetail {
  return {
    ...summaryFrom(row, runs),
    path: String(row.path),
    headers: JSON.parse(String(row.headers)) as Record<string, string>,
    body,
    bodyTruncated: body.length < num(row.body_size),
    ...(event !== undefined && event !== null ? { triggerEvent: parseEvent(event) } : {}),
  };
}

/** Groups run rows by delivery. */
export function runsByDelivery(rows: Array<Record<string, Cell>>): Map<number, Array<Record<string, Cell>>> {
  const out = new Map<number, Array<Record<string, Cell>>>();
  for (const r of rows) {
    const seq = num(r.delivery_seq);
    const list = out.get(seq);
    if (list) list.push(r);
    else out.set(seq, [r]);
  }
  return out;
}

/**
 * The waits a delivery may satisfy, from the rows an index probe found: each wait once, only those
 * whose patterns match the event type and that began before the event arrived (within SKEW_MS).
 */
export function candidatesFor(rows: Array<Record<string, Cell>>, event: TriggerEvent, seq: number): WaitCandidate[] {
  const received = Date.parse(event.received_at);
  const out = new Map<string, WaitCandidate>();
  for (const r of rows) {
    const id = String(r.id);
    if (out.has(id)) continue;
    const matchedHere = String(r.state) === 'matched' && num(r.matched_seq) === seq;
    const events = JSON.parse(String(r.events)) as string[];
    const since = num(r.since);
    if (!matchedHere && (!events.some((p) => globMatches(p, event.type)) || received < since - SKEW_MS)) continue;
    out.set(id, {
      id,
      workflowId: String(r.workflow_id),
      events,
      ...(str(r.match) ? { match: str(r.match) } : {}),
      context: JSON.parse(String(r.context)) as Record<string, Json>,
      since,
      matchedHere,
    });
  }
  return [...out.values()];
}
