// The embedded journal: one SQLite file (`.hookflow/intake.db`) in WAL mode with synchronous=FULL,
// so a commit has reached the disk (fsync) when it returns — it survives SIGKILL and power loss.
//
// Group commit: every write (deliveries, request records, the dispatcher's claims and outcomes) is
// queued and applied in one transaction per turn of the event loop, so concurrent webhooks share
// one fsync. Measured here: ~0.4 ms per commit whatever it holds, ~80,000 rows/s in batches of 100
// (docs/BENCHMARKS.md). SQLite's API is synchronous: the commit blocks the event loop for that long,
// during which new requests queue up for the next batch.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { globMatches, isGlob } from '../core/glob.js';
import type { Recipe, TriggerEvent } from '../core/types.js';
import {
  CONTENT_KEYS_TABLE,
  contentDuplicate,
  JournalUnavailableError,
  scopeMismatch,
  type AcceptInput,
  type AcceptResult,
  type ClaimedRun,
  type DispatchOutcome,
  type Journal,
  type JournalStats,
  type RequestDetail,
  type RequestEntry,
  type RequestFilter,
  type RequestSummary,
  type RouteJob,
  type UnmatchedDelivery,
  type WaitSubscription,
} from './journal.js';
import { firstRequestIdAt } from './request-id.js';
import {
  candidatesFor,
  deliverySeqs,
  listRequestsQuery,
  num,
  parseEvent,
  recipeVersion,
  SKEW_MS,
  REQUEST_COLUMNS,
  requestColumns,
  runFrom,
  str,
  summariesWithRuns,
  detailFrom,
} from './rows.js';
import { asBuffer, openSqlite, type Row, type SqliteDb, type SqlValue, type Statement } from './sqlite-driver.js';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  headers TEXT NOT NULL,
  body BLOB,
  body_size INTEGER NOT NULL,
  verdict TEXT NOT NULL,
  status INTEGER NOT NULL,
  error_code TEXT,
  error_message TEXT,
  event_type TEXT,
  event_id TEXT,
  delivery_seq INTEGER,
  replay_of TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS requests_source ON requests(source, id);
CREATE INDEX IF NOT EXISTS requests_verdict ON requests(verdict, id);
CREATE INDEX IF NOT EXISTS requests_delivery ON requests(delivery_seq) WHERE delivery_seq IS NOT NULL;

CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  delivery_key TEXT NOT NULL,
  request_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  event TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  route INTEGER NOT NULL DEFAULT 0,
  route_claimed_until INTEGER,
  match_pending INTEGER NOT NULL DEFAULT 0,
  match_claimed_until INTEGER,
  UNIQUE (source, delivery_key)
);
CREATE INDEX IF NOT EXISTS deliveries_unmatched ON deliveries(seq) WHERE match_pending = 1;
CREATE INDEX IF NOT EXISTS deliveries_time ON deliveries(received_at);
CREATE INDEX IF NOT EXISTS deliveries_source ON deliveries(source, seq);
CREATE INDEX IF NOT EXISTS deliveries_route ON deliveries(seq) WHERE route = 1;

CREATE TABLE IF NOT EXISTS recipe_versions (
  hash TEXT PRIMARY KEY,
  recipe TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS runs (
  workflow_id TEXT PRIMARY KEY,
  delivery_seq INTEGER NOT NULL,
  recipe TEXT NOT NULL,
  recipe_hash TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  claimed_by TEXT,
  claimed_until INTEGER,
  last_error TEXT,
  started_at INTEGER,
  replay_of TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS runs_delivery ON runs(delivery_seq);
CREATE INDEX IF NOT EXISTS runs_queued ON runs(delivery_seq) WHERE state = 'queued';

CREATE TABLE IF NOT EXISTS waits (
  id TEXT PRIMARY KEY,
  workflow_id TEXT NOT NULL,
  source TEXT NOT NULL,
  events TEXT NOT NULL,
  match TEXT,
  context TEXT NOT NULL,
  since INTEGER NOT NULL,
  after_seq INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  matched_seq INTEGER,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS waits_matched ON waits(matched_seq) WHERE matched_seq IS NOT NULL;
CREATE INDEX IF NOT EXISTS waits_workflow ON waits(workflow_id);
-- Only waits still waiting have rows here: "does anyone wait for this source and type?" is an index probe.
CREATE TABLE IF NOT EXISTS wait_patterns (
  source TEXT NOT NULL,
  is_glob INTEGER NOT NULL,
  pattern TEXT NOT NULL,
  wait_id TEXT NOT NULL,
  PRIMARY KEY (source, is_glob, pattern, wait_id)
) WITHOUT ROWID;
`;

type Op =
  | { kind: 'accept'; input: AcceptInput; done: Settle<AcceptResult> }
  | { kind: 'record'; entry: RequestEntry; done: Settle<void> }
  /** Any other write, run inside the shared transaction. */
  | { kind: 'write'; fn: () => unknown; done: Settle<unknown> };

interface Settle<T> {
  resolve(v: T): void;
  reject(e: unknown): void;
}

export class SqliteJournal implements Journal {
  readonly kind = 'sqlite' as const;
  private queue: Op[] = [];
  private scheduled = false;
  private closed = false;
  private pending = 0;
  /** Whether the delivery accepted last needs routing (set by applyAccept, read by flush). */
  private lastRouted = false;
  /** Transactions committed: with group commit, far fewer than the writes they carried. */
  commits = 0;
  private readonly listeners = new Set<() => void>();
  private readonly recipes = new Map<string, Recipe>();
  private readonly refresh: NodeJS.Timeout;
  private readonly st: Record<string, Statement>;

  private constructor(
    private readonly db: SqliteDb,
    readonly location: string,
  ) {
    const p = (sql: string): Statement => db.prepare(sql);
    // The deliveries with a flag set (routes to hand to waits, recipes to match), leased until (now + lease).
    const leasedClaim = (flag: 'route' | 'match_pending', lease: 'route_claimed_until' | 'match_claimed_until'): Statement =>
      p(
        `UPDATE deliveries SET ${lease} = ?
         WHERE seq IN (SELECT seq FROM deliveries WHERE ${flag} = 1 AND (${lease} IS NULL OR ${lease} < ?) ORDER BY seq LIMIT ?)
         RETURNING seq, event`,
      );
    this.st = {
      insertDelivery: p(
        'INSERT INTO deliveries (source, delivery_key, request_id, event_type, event, received_at, route, match_pending) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, delivery_key) DO NOTHING RETURNING seq',
      ),
      findDelivery: p('SELECT seq FROM deliveries WHERE source = ? AND delivery_key = ?'),
      findContent: p('SELECT delivery_seq, delivery_id FROM content_keys WHERE source = ? AND key = ? AND expires_at > ?'),
      putContent: p(
        'INSERT INTO content_keys (source, key, delivery_seq, delivery_id, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, key) DO UPDATE SET delivery_seq = excluded.delivery_seq, delivery_id = excluded.delivery_id, expires_at = excluded.expires_at',
      ),
      insertVersion: p('INSERT INTO recipe_versions (hash, recipe) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING'),
      insertRun: p(
        "INSERT INTO runs (workflow_id, delivery_seq, recipe, recipe_hash, state, next_at, replay_of) VALUES (?, ?, ?, ?, 'queued', ?, ?) ON CONFLICT (workflow_id) DO NOTHING",
      ),
      runsOf: p('SELECT * FROM runs WHERE delivery_seq = ? ORDER BY recipe'),
      insertRequest: p(`INSERT INTO requests (${REQUEST_COLUMNS}) VALUES (${Array(16).fill('?').join(', ')}) ON CONFLICT (id) DO NOTHING`),
      claim: p(
        `UPDATE runs SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1
         WHERE workflow_id IN (SELECT workflow_id FROM runs WHERE state = 'queued' AND next_at <= ? AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY delivery_seq LIMIT ?)
         RETURNING workflow_id, delivery_seq, recipe_hash, attempts, replay_of`,
      ),
      deliveryEvent: p('SELECT event FROM deliveries WHERE seq = ?'),
      version: p('SELECT recipe FROM recipe_versions WHERE hash = ?'),
      started: p("UPDATE runs SET state = 'started', started_at = ?, claimed_by = NULL, claimed_until = NULL, last_error = NULL WHERE workflow_id = ?"),
      failed: p("UPDATE runs SET state = 'failed', last_error = ?, claimed_by = NULL, claimed_until = NULL WHERE workflow_id = ?"),
      retry: p('UPDATE runs SET next_at = ?, last_error = ?, claimed_by = NULL, claimed_until = NULL WHERE workflow_id = ?'),
      countQueued: p("SELECT count(*) AS n, min(d.received_at) AS oldest FROM runs r JOIN deliveries d ON d.seq = r.delivery_seq WHERE r.state = 'queued'"),
      countFailed: p("SELECT count(*) AS n FROM runs WHERE state = 'failed'"),
      getRequest: p(`SELECT ${REQUEST_COLUMNS} FROM requests WHERE id = ?`),
      maxSeq: p('SELECT max(seq) AS seq FROM deliveries'),
      insertWait: p(
        "INSERT INTO waits (id, workflow_id, source, events, match, context, since, after_seq, expires_at, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?) ON CONFLICT (id) DO NOTHING",
      ),
      insertPattern: p('INSERT INTO wait_patterns (source, is_glob, pattern, wait_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      dropPatterns: p('DELETE FROM wait_patterns WHERE wait_id = ?'),
      backlog: p('SELECT seq, event_type, event FROM deliveries WHERE source = ? AND seq <= ? AND received_at >= ? ORDER BY seq LIMIT ?'),
      matchWait: p("UPDATE waits SET state = 'matched', matched_seq = ? WHERE id = ? AND state = 'waiting'"),
      cancelWait: p("UPDATE waits SET state = 'cancelled' WHERE id = ? AND state = 'waiting'"),
      waitState: p('SELECT state, matched_seq FROM waits WHERE id = ?'),
      exactWaiter: p('SELECT 1 AS x FROM wait_patterns WHERE source = ? AND is_glob = 0 AND pattern = ? LIMIT 1'),
      globWaiters: p('SELECT DISTINCT pattern FROM wait_patterns WHERE source = ? AND is_glob = 1'),
      claimRoutes: leasedClaim('route', 'route_claimed_until'),
      candidates: p(
        `SELECT w.* FROM waits w WHERE w.state = 'waiting' AND w.after_seq < ? AND w.id IN (
           SELECT wait_id FROM wait_patterns WHERE source = ? AND ((is_glob = 0 AND pattern = ?) OR is_glob = 1))`,
      ),
      // Waits this delivery won as a routed event (not from a backlog scan: those have after_seq >= seq).
      matchedBy: p("SELECT * FROM waits WHERE matched_seq = ? AND state = 'matched' AND after_seq < ?"),
      routed: p('UPDATE deliveries SET route = 2, route_claimed_until = NULL WHERE seq = ?'),
      claimUnmatched: leasedClaim('match_pending', 'match_claimed_until'),
      matched: p('UPDATE deliveries SET match_pending = 0, match_claimed_until = NULL WHERE seq = ? AND match_pending = 1'),
      noMatch: p("UPDATE requests SET verdict = 'no_match' WHERE delivery_seq = ?"),
    };
    this.refresh = setInterval(() => this.refreshPending(), 2_000);
    this.refresh.unref();
    this.refreshPending();
  }

  /** Opens (creating) the journal file: WAL, synchronous=FULL, schema up to date. */
  static open(file: string, opts: { engine?: SqliteDb['engine']; scope?: string; maxPages?: number } = {}): SqliteJournal {
    mkdirSync(path.dirname(file), { recursive: true });
    const db = openSqlite(file, 5_000, opts.engine);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA foreign_keys = OFF');
    if (opts.maxPages) db.exec(`PRAGMA max_page_count = ${Math.floor(opts.maxPages)}`);
    const version = num(db.prepare('PRAGMA user_version').get()?.user_version ?? 0);
    if (version > SCHEMA_VERSION) {
      db.close();
      throw new Error(
        `${file} was written by a newer hookflow (journal schema ${version}, this one knows ${SCHEMA_VERSION}); upgrade hookflow or move the file away`,
      );
    }
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(SCHEMA);
      db.exec(CONTENT_KEYS_TABLE);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
      if (opts.scope !== undefined) {
        const owner = db.prepare("SELECT value FROM meta WHERE key = 'scope'").get()?.value;
        if (owner === undefined || owner === null) db.prepare("INSERT INTO meta (key, value) VALUES ('scope', ?)").run(opts.scope);
        else if (String(owner) !== opts.scope) throw scopeMismatch(file, String(owner), opts.scope);
      }
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      db.close();
      throw err;
    }
    return new SqliteJournal(db, file);
  }

  get engine(): SqliteDb['engine'] {
    return this.db.engine;
  }

  accept(input: AcceptInput): Promise<AcceptResult> {
    return this.enqueue<AcceptResult>((done) => ({ kind: 'accept', input, done }));
  }

  record(entry: RequestEntry): Promise<void> {
    return this.enqueue<void>((done) => ({ kind: 'record', entry, done }));
  }

  claim(owner: string, max: number, leaseMs: number): Promise<ClaimedRun[]> {
    return this.write(() => this.applyClaim(owner, max, leaseMs));
  }

  settle(outcomes: DispatchOutcome[]): Promise<void> {
    if (outcomes.length === 0) return Promise.resolve();
    return this.write(() => this.applySettle(outcomes));
  }

  /** Runs `fn` in the next shared transaction. */
  private write<T>(fn: () => T): Promise<T> {
    return this.enqueue<unknown>((done) => ({ kind: 'write', fn, done })) as Promise<T>;
  }

  subscribe(wait: WaitSubscription): Promise<{ afterSeq: number }> {
    return this.write(() => {
      // Serialised with every other write: each delivery up to here is committed, each later one
      // gets a greater seq and is routed to this wait by the dispatcher.
      const afterSeq = num(this.st.maxSeq!.get()?.seq ?? 0);
      this.st.insertWait!.run(
        wait.id,
        wait.workflowId,
        wait.source,
        JSON.stringify(wait.events),
        wait.match ?? null,
        JSON.stringify(wait.context),
        wait.since,
        afterSeq,
        wait.expiresAt,
        Date.now(),
      );
      for (const p of new Set(wait.events)) this.st.insertPattern!.run(wait.source, isGlob(p) ? 1 : 0, p, wait.id);
      return { afterSeq };
    });
  }

  async backlog(wait: WaitSubscription, afterSeq: number, limit: number): Promise<Array<{ seq: number; event: TriggerEvent }>> {
    const rows = this.st.backlog!.all(wait.source, afterSeq, wait.since - SKEW_MS, limit);
    return rows.filter((r) => wait.events.some((p) => globMatches(p, String(r.event_type)))).map((r) => ({ seq: num(r.seq), event: parseEvent(r.event) }));
  }

  claimWait(waitId: string, seq: number): Promise<boolean> {
    return this.write(() => {
      if (num(this.st.matchWait!.run(seq, waitId).changes) === 1) {
        this.st.dropPatterns!.run(waitId);
        return true;
      }
      return num(this.st.waitState!.get(waitId)?.matched_seq ?? -1) === seq;
    });
  }

  cancelWait(waitId: string): Promise<TriggerEvent | null> {
    return this.write(() => {
      if (num(this.st.cancelWait!.run(waitId).changes) === 1) {
        this.st.dropPatterns!.run(waitId);
        return null;
      }
      const w = this.st.waitState!.get(waitId);
      if (w?.state !== 'matched') return null;
      const ev = this.st.deliveryEvent!.get(num(w.matched_seq))?.event;
      return ev === undefined || ev === null ? null : parseEvent(ev);
    });
  }

  claimRoutes(owner: string, max: number, leaseMs: number): Promise<RouteJob[]> {
    void owner;
    return this.write(() =>
      this.claimFlagged(this.st.claimRoutes!, max, leaseMs).map(({ seq, event }) => {
        const found = [...this.st.candidates!.all(seq, event.source, event.type), ...this.st.matchedBy!.all(seq, seq)];
        return { seq, event, candidates: candidatesFor(found, event, seq) };
      }),
    );
  }

  claimUnmatched(owner: string, max: number, leaseMs: number): Promise<UnmatchedDelivery[]> {
    void owner;
    return this.write(() => this.claimFlagged(this.st.claimUnmatched!, max, leaseMs));
  }

  /** Runs one of the two leased claims (inside a write); the deliveries in arrival order. */
  private claimFlagged(claim: Statement, max: number, leaseMs: number): Array<{ seq: number; event: TriggerEvent }> {
    const now = Date.now();
    return claim
      .all(now + leaseMs, now, max)
      .map((r) => ({ seq: num(r.seq), event: parseEvent(r.event) }))
      .sort((a, b) => a.seq - b.seq);
  }

  attachRuns(seq: number, runs: Array<{ recipe: Recipe; workflowId: string }>): Promise<void> {
    return this.write(() => {
      // Only once: a second matcher of the same delivery (its lease ran out) finds it done.
      if (num(this.st.matched!.run(seq).changes) === 0) return;
      const now = Date.now();
      for (const run of runs) {
        const v = recipeVersion(run.recipe);
        this.st.insertVersion!.run(v.hash, v.json);
        this.st.insertRun!.run(run.workflowId, seq, run.recipe.name, v.hash, now, null);
      }
      if (runs.length === 0) this.st.noMatch!.run(seq);
      this.pending += runs.length;
      if (runs.length > 0)
        queueMicrotask(() => {
          for (const fn of this.listeners) fn();
        });
    });
  }

  finishRoutes(seqs: number[]): Promise<void> {
    if (seqs.length === 0) return Promise.resolve();
    return this.write(() => {
      for (const seq of seqs) this.st.routed!.run(seq);
    });
  }

  /** Does any waiting run listen to this source and type? Then the delivery must be routed. */
  private routeWanted(source: string, type: string): boolean {
    if (this.st.exactWaiter!.get(source, type)) return true;
    return this.st.globWaiters!.all(source).some((r) => globMatches(String(r.pattern), type));
  }

  pendingEstimate(): number {
    return this.pending;
  }

  onQueued(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private enqueue<T>(make: (done: Settle<T>) => Op): Promise<T> {
    if (this.closed) return Promise.reject(new JournalUnavailableError('the journal is closed (hookflow is stopping)'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push(make({ resolve, reject } as Settle<T>));
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate: every request whose body arrived in this I/O phase joins the same commit.
        setImmediate(() => this.flush());
      }
    });
  }

  /** One transaction for everything queued; each op in a savepoint so one bad op fails alone. */
  private flush(): void {
    this.scheduled = false;
    const ops = this.queue.splice(0);
    if (ops.length === 0) return;
    const results: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
    let queued = 0;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      for (const op of ops) {
        this.db.exec('SAVEPOINT op');
        try {
          const value = this.apply(op);
          if (op.kind === 'accept') {
            const r = value as AcceptResult;
            if (!r.duplicate) queued += r.runs.length + (this.lastRouted || op.input.deferMatch ? 1 : 0);
          }
          this.db.exec('RELEASE op');
          results.push({ ok: true, value });
        } catch (err) {
          this.db.exec('ROLLBACK TO op');
          this.db.exec('RELEASE op');
          results.push({ ok: false, err });
        }
      }
      this.db.exec('COMMIT');
      this.commits++;
    } catch (err) {
      // The commit itself failed (disk full, I/O error, database locked too long): nothing in it is durable.
      try {
        this.db.exec('ROLLBACK');
      } catch {
        /* no transaction left to roll back */
      }
      const why = new JournalUnavailableError(`the intake journal could not commit (${err instanceof Error ? err.message : String(err)})`, { cause: err });
      for (const op of ops) op.done.reject(why);
      return;
    }
    ops.forEach((op, i) => {
      const r = results[i]!;
      if (r.ok) (op.done as Settle<unknown>).resolve(r.value);
      else op.done.reject(r.err);
    });
    if (queued > 0) {
      this.pending += queued;
      for (const fn of this.listeners) fn();
    }
  }

  private apply(op: Op): unknown {
    switch (op.kind) {
      case 'accept':
        return this.applyAccept(op.input);
      case 'record':
        this.st.insertRequest!.run(...(requestColumns(op.entry, null) as SqlValue[]));
        return undefined;
      case 'write':
        return op.fn();
    }
  }

  private applyAccept(input: AcceptInput): AcceptResult {
    const { request, event } = input;
    const route = this.routeWanted(event.source, event.type);
    this.lastRouted = false;
    if (input.content) {
      const hit = this.st.findContent!.get(event.source, input.content.key, request.receivedAt);
      if (hit) {
        const seq = num(hit.delivery_seq);
        const runs = this.st.runsOf!.all(seq).map((r) => runFrom(r, true));
        const entry = { ...request, verdict: 'duplicate' as const, error: contentDuplicate(String(hit.delivery_id), input.content.windowMs) };
        this.st.insertRequest!.run(...(requestColumns(entry, seq) as SqlValue[]));
        return { requestId: request.id, deliverySeq: seq, duplicate: true, verdict: 'duplicate', runs };
      }
    }
    const inserted = this.st.insertDelivery!.get(
      event.source,
      input.deliveryKey,
      request.id,
      event.type,
      JSON.stringify(event),
      request.receivedAt,
      route ? 1 : 0,
      input.deferMatch ? 1 : 0,
    );
    if (!inserted) {
      const seq = num(this.st.findDelivery!.get(event.source, input.deliveryKey)?.seq);
      const runs = this.st.runsOf!.all(seq).map((r) => runFrom(r, true));
      const entry = { ...request, verdict: 'duplicate' as const };
      this.st.insertRequest!.run(...(requestColumns(entry, seq) as SqlValue[]));
      return { requestId: request.id, deliverySeq: seq, duplicate: true, verdict: 'duplicate', runs };
    }
    const seq = num(inserted.seq);
    if (input.content) this.st.putContent!.run(event.source, input.content.key, seq, event.id, request.receivedAt + input.content.windowMs);
    this.lastRouted = route;
    for (const run of input.runs) {
      const v = recipeVersion(run.recipe);
      this.st.insertVersion!.run(v.hash, v.json);
      this.st.insertRun!.run(run.workflowId, seq, run.recipe.name, v.hash, request.receivedAt + (run.holdMs ?? input.holdMs ?? 0), run.replayOf ?? null);
    }
    const verdict = input.runs.length === 0 && !input.deferMatch ? 'no_match' : 'accepted';
    this.st.insertRequest!.run(...(requestColumns({ ...request, verdict }, seq) as SqlValue[]));
    const runs = input.runs.map((r) => ({ recipe: r.recipe.name, workflowId: r.workflowId, state: 'queued' as const, duplicate: false, attempts: 0 }));
    return { requestId: request.id, deliverySeq: seq, duplicate: false, verdict, runs };
  }

  private applyClaim(owner: string, max: number, leaseMs: number): ClaimedRun[] {
    const now = Date.now();
    const rows = this.st.claim!.all(owner, now + leaseMs, now, now, max);
    rows.sort((a, b) => num(a.delivery_seq) - num(b.delivery_seq));
    return rows.map((r) => {
      const seq = num(r.delivery_seq);
      const replayOf = str(r.replay_of);
      return {
        workflowId: String(r.workflow_id),
        deliverySeq: seq,
        attempts: num(r.attempts),
        recipe: this.recipeOf(String(r.recipe_hash)),
        event: parseEvent(this.st.deliveryEvent!.get(seq)?.event),
        ...(replayOf ? { replayOf } : {}),
      };
    });
  }

  private recipeOf(hash: string): Recipe {
    let r = this.recipes.get(hash);
    if (!r) {
      r = JSON.parse(String(this.st.version!.get(hash)?.recipe)) as Recipe;
      this.recipes.set(hash, r);
    }
    return r;
  }

  private applySettle(outcomes: DispatchOutcome[]): void {
    const now = Date.now();
    let done = 0;
    for (const o of outcomes) {
      if (o.outcome === 'started' || o.outcome === 'existed') {
        done += num(this.st.started!.run(now, o.workflowId).changes);
      } else if (o.outcome === 'failed') {
        done += num(this.st.failed!.run(o.error.slice(0, 2000), o.workflowId).changes);
      } else if (o.outcome === 'retry') {
        this.st.retry!.run(o.retryAt, o.error.slice(0, 2000), o.workflowId);
      }
    }
    this.pending = Math.max(0, this.pending - done);
  }

  private refreshPending(): void {
    try {
      this.pending = num(this.st.countQueued!.get()?.n ?? 0);
    } catch {
      /* busy or closed: keep the estimate */
    }
  }

  async stats(): Promise<JournalStats> {
    const q = this.st.countQueued!.get();
    const pending = num(q?.n ?? 0);
    this.pending = pending;
    const oldest = q?.oldest === null || q?.oldest === undefined ? undefined : num(q.oldest);
    return { pending, oldestPendingMs: oldest === undefined ? 0 : Math.max(0, Date.now() - oldest), failed: num(this.st.countFailed!.get()?.n ?? 0) };
  }

  async listRequests(filter: RequestFilter): Promise<RequestSummary[]> {
    const { sql, params } = listRequestsQuery(filter, () => '?');
    const rows = this.db.prepare(sql).all(...params);
    const seqs = deliverySeqs(rows);
    const runRows = seqs.length
      ? this.db.prepare(`SELECT * FROM runs WHERE delivery_seq IN (${seqs.map(() => '?').join(', ')}) ORDER BY recipe`).all(...seqs)
      : [];
    return summariesWithRuns(rows, runRows);
  }

  async getRequest(id: string): Promise<RequestDetail | undefined> {
    const row = this.st.getRequest!.get(id);
    if (!row) return undefined;
    return this.detailOf(row);
  }

  private detailOf(row: Row): RequestDetail {
    const seq = row.delivery_seq === null ? undefined : num(row.delivery_seq);
    const runs = seq === undefined ? [] : this.st.runsOf!.all(seq).map((r) => runFrom(r, row.verdict === 'duplicate'));
    const body = asBuffer(row.body);
    const ev = seq === undefined ? undefined : this.st.deliveryEvent!.get(seq)?.event;
    return detailFrom(row, runs, body, ev);
  }

  async prune(olderThan: number): Promise<number> {
    let deleted = 0;
    const cutoffId = firstRequestIdAt(olderThan);
    // Content keys of `dedupe` past their window.
    this.db.prepare('DELETE FROM content_keys WHERE expires_at < ?').run(Date.now());
    // Requests first (in slices, so the write lock is held briefly), then deliveries nobody needs.
    for (;;) {
      const n = num(
        this.db
          .prepare(
            `DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE id < ? AND (delivery_seq IS NULL OR delivery_seq NOT IN (SELECT delivery_seq FROM runs WHERE state = 'queued')) LIMIT 5000)`,
          )
          .run(cutoffId).changes,
      );
      deleted += n;
      if (n < 5000) break;
    }
    for (;;) {
      const seqs = this.db
        .prepare(`SELECT seq FROM deliveries WHERE received_at < ? AND seq NOT IN (SELECT delivery_seq FROM runs WHERE state = 'queued') LIMIT 5000`)
        .all(olderThan)
        .map((r) => num(r.seq));
      if (seqs.length === 0) break;
      const list = seqs.join(', ');
      this.db.exec('BEGIN IMMEDIATE');
      try {
        this.db.exec(`DELETE FROM runs WHERE delivery_seq IN (${list})`);
        this.db.exec(`DELETE FROM deliveries WHERE seq IN (${list})`);
        this.db.exec('COMMIT');
      } catch (err) {
        this.db.exec('ROLLBACK');
        throw err;
      }
      deleted += seqs.length;
      if (seqs.length < 5000) break;
    }
    this.db.exec('DELETE FROM recipe_versions WHERE hash NOT IN (SELECT DISTINCT recipe_hash FROM runs)');
    // Finished waits past retention; waits whose run vanished (terminated) a day past their timeout.
    deleted += num(this.db.prepare("DELETE FROM waits WHERE state <> 'waiting' AND created_at < ?").run(olderThan).changes);
    const stale = this.db.prepare("SELECT id FROM waits WHERE state = 'waiting' AND expires_at < ?").all(Date.now() - 86_400_000);
    for (const w of stale) {
      this.st.dropPatterns!.run(String(w.id));
      this.db.prepare('DELETE FROM waits WHERE id = ?').run(String(w.id));
    }
    deleted += stale.length;
    return deleted;
  }

  /** Keeps at most `keep` refused requests per source (the newest): a flood of junk cannot fill the disk. */
  async capRefused(keep: number): Promise<number> {
    let deleted = 0;
    const heavy = this.db.prepare("SELECT source, count(*) AS n FROM requests WHERE verdict = 'rejected' GROUP BY source HAVING count(*) > ?").all(keep);
    for (const h of heavy) {
      const edge = this.db
        .prepare("SELECT id FROM requests WHERE verdict = 'rejected' AND source = ? ORDER BY id DESC LIMIT 1 OFFSET ?")
        .get(String(h.source), keep);
      if (!edge) continue;
      deleted += num(
        this.db.prepare("DELETE FROM requests WHERE verdict = 'rejected' AND source = ? AND id <= ?").run(String(h.source), String(edge.id)).changes,
      );
    }
    return deleted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    clearInterval(this.refresh);
    this.db.close();
  }
}
