// The intake journal: every request hookflow receives, and every verified delivery with the runs it
// must start, committed durably before the webhook is answered. The dispatcher starts the runs in
// Temporal from here; the request log, `hookflow requests` and the console read it. Two stores
// implement it: SQLite (one machine, the default) and PostgreSQL (shared by several processes).
import type { Json, Recipe, TriggerEvent } from '../core/types.js';

/** What became of a request. */
export type Verdict = 'accepted' | 'duplicate' | 'no_match' | 'rejected' | 'handshake';
export const VERDICTS: readonly Verdict[] = ['accepted', 'duplicate', 'no_match', 'rejected', 'handshake'];

/** A run's dispatch state: journaled and waiting for Temporal, stored in Temporal, or refused by it for good. */
export type RunState = 'queued' | 'started' | 'failed';

/** One HTTP request to a trigger URL, as the request log keeps it. */
export interface RequestEntry {
  id: string;
  /** ms since the epoch */
  receivedAt: number;
  /** The trigger URL's name (a refused request may name a source that does not exist). */
  source: string;
  method: string;
  /** Path and query string, credential query parameters dropped. */
  path: string;
  /** Lower-case names; credential and signature headers dropped. */
  headers: Record<string, string>;
  /** The raw body: whole for verified deliveries, the first 64 KiB for refused requests. */
  body: Buffer;
  /** The body's size as received. */
  bodySize: number;
  verdict: Verdict;
  /** The HTTP status answered. */
  status: number;
  error?: { code: string; message: string };
  event?: { type: string; id: string };
  /** The request id this one replays (`hookflow replay --request`). */
  replayOf?: string;
}

export interface RunView {
  recipe: string;
  workflowId: string;
  state: RunState;
  /** The delivery had been journaled before: this request started nothing new. */
  duplicate: boolean;
  /** Why Temporal refused it (state failed) or the last transient error (state queued). */
  error?: string;
  attempts?: number;
  startedAt?: number;
}

/** A verified delivery for the journal: its request, its event and the runs the recipes want. */
export interface AcceptInput {
  request: RequestEntry;
  event: TriggerEvent;
  /** Dedupe key within the source: the delivery id (a replay adds a suffix). */
  deliveryKey: string;
  /** `holdMs`: the dispatcher leaves this run alone that long (the request starts it itself first). */
  runs: Array<{ recipe: Recipe; workflowId: string; replayOf?: string; holdMs?: number }>;
  /** The dispatcher leaves the runs alone for this long (direct intake starts them itself first). */
  holdMs?: number;
  /** The recipes are matched later, by the dispatcher (events emitted by runs: the worker has no recipes). */
  deferMatch?: boolean;
  /**
   * The source's `dedupe` content key (a hash): a delivery whose key was journaled within `windowMs`
   * is a duplicate of that one, whatever its delivery id.
   */
  content?: { key: string; windowMs: number };
}

/** The request log's reason for a delivery answered as a duplicate because of its content key. */
export function contentDuplicate(firstId: string, windowMs: number): { code: string; message: string } {
  return {
    code: 'duplicate_content',
    message: `same dedupe key as delivery ${firstId}, seen within the source's dedupe window (${Math.round(windowMs / 1000)} s): no new run`,
  };
}

/** Table of the content keys of `dedupe` (both journals). */
export const CONTENT_KEYS_TABLE = `CREATE TABLE IF NOT EXISTS content_keys (
  source TEXT NOT NULL,
  key TEXT NOT NULL,
  delivery_seq BIGINT NOT NULL,
  delivery_id TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (source, key)
);`;

/** A journaled event whose recipes are still to be found (see AcceptInput.deferMatch). */
export interface UnmatchedDelivery {
  seq: number;
  event: TriggerEvent;
}

export interface AcceptResult {
  requestId: string;
  deliverySeq: number;
  /** The delivery key was journaled before: nothing new was stored but the request. */
  duplicate: boolean;
  verdict: Verdict;
  runs: RunView[];
}

/** A queued run the dispatcher has claimed (leased) and must start in Temporal. */
export interface ClaimedRun {
  workflowId: string;
  deliverySeq: number;
  attempts: number;
  recipe: Recipe;
  event: TriggerEvent;
  replayOf?: string;
}

export type DispatchOutcome =
  | { workflowId: string; outcome: 'started' | 'existed' }
  | { workflowId: string; outcome: 'failed'; error: string }
  /** Temporal could not take it now: back to the queue, not before `retryAt`. */
  | { workflowId: string; outcome: 'retry'; error: string; retryAt: number };

export interface RequestFilter {
  source?: string;
  verdict?: Verdict;
  /** Only requests received at or after this time (ms). */
  since?: number;
  /** Only requests older than this request id (paging, newest first). */
  before?: string;
  limit?: number;
}

export interface RequestSummary {
  id: string;
  receivedAt: number;
  source: string;
  method: string;
  verdict: Verdict;
  status: number;
  error?: { code: string; message: string };
  event?: { type: string; id: string };
  bodySize: number;
  runs: RunView[];
  replayOf?: string;
}

export interface RequestDetail extends RequestSummary {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** The body holds only the first bytes of a larger one. */
  bodyTruncated: boolean;
  /** The verified event (accepted, duplicate and no_match requests). */
  triggerEvent?: TriggerEvent;
}

export interface JournalStats {
  /** Runs journaled and not yet started in Temporal. */
  pending: number;
  /** Age (ms) of the oldest of them, 0 when none. */
  oldestPendingMs: number;
  /** Runs Temporal refused for good. */
  failed: number;
}

/**
 * A run waiting in `wait_for`, as the journal indexes it (by source and event type) so the
 * dispatcher can find the runs an incoming event may wake — and only those.
 */
export interface WaitSubscription {
  /** Unique per wait: `<run id>:<step path>:<n>`. */
  id: string;
  workflowId: string;
  source: string;
  /** Event-type patterns (exact or glob). */
  events: string[];
  /** CEL over the incoming `event` and this run's values in `context`. */
  match?: string;
  /** The run's values `match` reads (`trigger`, `vars`, `steps`, loop variables), captured when the wait began. */
  context: Record<string, Json>;
  /** Events received before this (ms) are not for it: the run's own trigger time. */
  since: number;
  /** The wait times out then (ms); its record is pruned a while after. */
  expiresAt: number;
}

export interface WaitCandidate {
  id: string;
  workflowId: string;
  events: string[];
  match?: string;
  context: Record<string, Json>;
  since: number;
  /** Set when this very delivery already won the wait (a routing repeated after a crash). */
  matchedHere: boolean;
}

/** A delivery to route to waiting runs, with the waits that may want it. */
export interface RouteJob {
  seq: number;
  event: TriggerEvent;
  candidates: WaitCandidate[];
}

export interface Journal {
  readonly kind: 'sqlite' | 'postgres';
  /** Where it lives, for messages (a file path or the database URL without its password). */
  readonly location: string;
  /** Journals a verified delivery; resolves once the commit is durable. Throws JournalUnavailableError. */
  accept(input: AcceptInput): Promise<AcceptResult>;
  /** Records a request that carries no delivery (refused, handshake). Durability is best effort. */
  record(entry: RequestEntry): Promise<void>;
  /** Leases up to `max` queued runs, oldest delivery first, for `leaseMs`. */
  claim(owner: string, max: number, leaseMs: number): Promise<ClaimedRun[]>;
  /** Records what Temporal answered for claimed runs. */
  settle(outcomes: DispatchOutcome[]): Promise<void>;
  /** Runs journaled and not started: a cheap estimate kept current by the journal (for backpressure). */
  pendingEstimate(): number;
  stats(): Promise<JournalStats>;
  listRequests(filter: RequestFilter): Promise<RequestSummary[]>;
  getRequest(id: string): Promise<RequestDetail | undefined>;
  /** Deletes finished requests and deliveries older than `olderThan` (ms); never a queued run. Returns rows deleted. */
  prune(olderThan: number): Promise<number>;
  /**
   * Records a wait. `afterSeq` splits the journal in two: deliveries up to it are the wait's backlog
   * (read with `backlog`), later ones are routed to it by the dispatcher. No delivery is in both or
   * in neither, whatever commits at the same moment.
   */
  subscribe(wait: WaitSubscription): Promise<{ afterSeq: number }>;
  /** Deliveries of the wait's source and types received since it began, up to `afterSeq`, oldest first. */
  backlog(wait: WaitSubscription, afterSeq: number, limit: number): Promise<Array<{ seq: number; event: TriggerEvent }>>;
  /** Makes delivery `seq` the one that satisfies the wait, unless another one did first. True when this one holds it. */
  claimWait(waitId: string, seq: number): Promise<boolean>;
  /** The run stops waiting (timed out): the wait is closed, or — if an event won it meanwhile — that event. */
  cancelWait(waitId: string): Promise<TriggerEvent | null>;
  /** Leases deliveries that waiting runs may want, oldest first, with their candidate waits. */
  claimRoutes(owner: string, max: number, leaseMs: number): Promise<RouteJob[]>;
  /** Marks deliveries routed. */
  finishRoutes(seqs: number[]): Promise<void>;
  /** Leases deliveries journaled with `deferMatch`, oldest first. */
  claimUnmatched(owner: string, max: number, leaseMs: number): Promise<UnmatchedDelivery[]>;
  /** Journals the runs found for such a delivery (none: its request becomes no_match). */
  attachRuns(seq: number, runs: Array<{ recipe: Recipe; workflowId: string }>): Promise<void>;
  /** Wakes `fn` when runs were journaled (here or, for PostgreSQL, in another process). */
  onQueued(fn: () => void): () => void;
  close(): Promise<void>;
}

/** The journal cannot commit (disk full, database down): the webhook is answered 503 + Retry-After. */
export class JournalUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JournalUnavailableError';
  }
}

/** How much of a refused request's body the log keeps. */
export const REFUSED_BODY_BYTES = 64 * 1024;

/** The error for a journal that belongs to another deployment. */
export function scopeMismatch(location: string, theirs: string, ours: string): Error {
  return new Error(
    `the intake journal ${location} belongs to the deployment "${theirs}" (namespace/task queue), not "${ours}": ` +
      `its queued runs must start on that task queue. Give this deployment its own journal (HOOKFLOW_JOURNAL_URL), or use TEMPORAL_NAMESPACE/TEMPORAL_TASK_QUEUE of "${theirs}"`,
  );
}
