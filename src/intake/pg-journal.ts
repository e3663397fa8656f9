// The shared journal: PostgreSQL (`HOOKFLOW_JOURNAL_URL=postgres://…`), for several serve/start
// processes. Each process batches its writes into one transaction per round trip (group commit in
// the process; PostgreSQL groups concurrent commits of all processes into shared WAL flushes).
// Dispatchers in every process claim queued runs with `FOR UPDATE SKIP LOCKED` (no two claim the
// same run; a claim is a lease that expires if its process dies) and are woken by LISTEN/NOTIFY.
import pg from 'pg';
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
  type RunView,
  type UnmatchedDelivery,
  type Verdict,
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
  runsByDelivery,
  summariesWithRuns,
  detailFrom,
} from './rows.js';

const CHANNEL = 'hookflow_intake';
const SOURCE_LOCK = 'hookflow:source:';
const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS hookflow_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY,
  received_at BIGINT NOT NULL,
  source TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  headers TEXT NOT NULL,
  body BYTEA,
  body_size INTEGER NOT NULL,
  verdict TEXT NOT NULL,
  status INTEGER NOT NULL,
  error_code TEXT,
  error_message TEXT,
  event_type TEXT,
  event_id TEXT,
  delivery_seq BIGINT,
  replay_of TEXT
);
CREATE INDEX IF NOT EXISTS requests_source ON requests(source, id);
CREATE INDEX IF NOT EXISTS requests_verdict ON requests(verdict, id);
CREATE INDEX IF NOT EXISTS requests_delivery ON requests(delivery_seq) WHERE delivery_seq IS NOT NULL;
CREATE TABLE IF NOT EXISTS deliveries (
  seq BIGSERIAL PRIMARY KEY,
  source TEXT NOT NULL,
  delivery_key TEXT NOT NULL,
  request_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  event TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  route SMALLINT NOT NULL DEFAULT 0,
  route_claimed_until BIGINT,
  match_pending SMALLINT NOT NULL DEFAULT 0,
  match_claimed_until BIGINT,
  UNIQUE (source, delivery_key)
);
CREATE INDEX IF NOT EXISTS deliveries_unmatched ON deliveries(seq) WHERE match_pending = 1;
CREATE INDEX IF NOT EXISTS deliveries_time ON deliveries(received_at);
CREATE INDEX IF NOT EXISTS deliveries_source ON deliveries(source, seq);
CREATE INDEX IF NOT EXISTS deliveries_route ON deliveries(seq) WHERE route = 1;
CREATE TABLE IF NOT EXISTS recipe_versions (hash TEXT PRIMARY KEY, recipe TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  workflow_id TEXT PRIMARY KEY,
  delivery_seq BIGINT NOT NULL,
  recipe TEXT NOT NULL,
  recipe_hash TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at BIGINT NOT NULL,
  claimed_by TEXT,
  claimed_until BIGINT,
  last_error TEXT,
  started_at BIGINT,
  replay_of TEXT
);
CREATE INDEX IF NOT EXISTS runs_delivery ON runs(delivery_seq);
CREATE INDEX IF NOT EXISTS runs_queued ON runs(delivery_seq) WHERE state = 'queued';
CREATE TABLE IF NOT EXISTS waits (
  id TEXT PRIMARY KEY,
  workflow_id TEXT NOT NULL,
  source TEXT NOT NULL,
  events TEXT NOT NULL,
  match TEXT,
  context TEXT NOT NULL,
  since BIGINT NOT NULL,
  after_seq BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  state TEXT NOT NULL,
  matched_seq BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS waits_matched ON waits(matched_seq) WHERE matched_seq IS NOT NULL;
CREATE INDEX IF NOT EXISTS waits_workflow ON waits(workflow_id);
CREATE TABLE IF NOT EXISTS wait_patterns (
  source TEXT NOT NULL,
  is_glob SMALLINT NOT NULL,
  pattern TEXT NOT NULL,
  wait_id TEXT NOT NULL,
  PRIMARY KEY (source, is_glob, pattern, wait_id)
);
`;

type Op =
  | { kind: 'accept'; input: AcceptInput; resolve: (r: AcceptResult) => void; reject: (e: unknown) => void }
  | { kind: 'record'; entry: RequestEntry; resolve: () => void; reject: (e: unknown) => void };

/** Errors that say "the database cannot take writes now" (connection, disk full, shutdown): 503, not 500. */
function unavailable(err: unknown): JournalUnavailableError {
  return new JournalUnavailableError(`the intake journal (PostgreSQL) could not commit (${err instanceof Error ? err.message : String(err)})`, { cause: err });
}

/** Test seams: let a test hold a transaction open before it commits, to force an interleaving. */
export interface PgJournalHooks {
  beforeCommit?(what: 'accept' | 'subscribe'): Promise<void>;
}

export class PgJournal implements Journal {
  readonly kind = 'postgres' as const;
  private queue: Op[] = [];
  private writing = 0;
  private closed = false;
  private pending = 0;
  private readonly listeners = new Set<() => void>();
  private readonly recipes = new Map<string, Recipe>();
  private listener?: pg.Client;
  private refresh?: NodeJS.Timeout;
  private static readonly MAX_WRITERS = 2;

  private constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
    private readonly url: string,
    private readonly hooks: PgJournalHooks,
  ) {}

  static async connect(url: string, hooks: PgJournalHooks = {}, scope?: string): Promise<PgJournal> {
    const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000 });
    pool.on('error', () => {
      /* an idle client lost its connection: the next query gets a fresh one */
    });
    const j = new PgJournal(pool, url.replace(/:[^:@/]+@/, ':***@'), url, hooks);
    await j.migrate(scope).catch(async (err: unknown) => {
      await pool.end().catch(() => {});
      throw err;
    });
    await j.listen();
    j.refresh = setInterval(() => void j.refreshPending(), 1_000);
    j.refresh.unref();
    await j.refreshPending();
    return j;
  }

  private async migrate(scope: string | undefined): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      // Two processes starting at once must not race on CREATE TABLE.
      await c.query("SELECT pg_advisory_xact_lock(hashtext('hookflow:schema'))");
      await c.query(SCHEMA);
      await c.query(CONTENT_KEYS_TABLE);
      const v = await c.query<{ value: string }>("SELECT value FROM hookflow_meta WHERE key = 'schema'");
      const have = Number(v.rows[0]?.value ?? 0);
      if (have > SCHEMA_VERSION) throw new Error(`the journal database was written by a newer hookflow (schema ${have}, this one knows ${SCHEMA_VERSION})`);
      await c.query("INSERT INTO hookflow_meta (key, value) VALUES ('schema', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", [
        String(SCHEMA_VERSION),
      ]);
      if (scope !== undefined) {
        const owner = (await c.query<{ value: string }>("SELECT value FROM hookflow_meta WHERE key = 'scope'")).rows[0]?.value;
        if (owner === undefined) await c.query("INSERT INTO hookflow_meta (key, value) VALUES ('scope', $1)", [scope]);
        else if (owner !== scope) throw scopeMismatch(this.location, owner, scope);
      }
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  /** A dedicated connection LISTENs, so dispatchers wake when any process journals runs. */
  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', () => {});
    client.on('notification', () => {
      for (const fn of this.listeners) fn();
    });
    client.on('end', () => {
      if (this.closed) return;
      // Reconnect; the dispatcher's poll covers the gap.
      setTimeout(() => void this.listen().catch(() => {}), 1_000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.listener = client;
  }

  accept(input: AcceptInput): Promise<AcceptResult> {
    return this.enqueue<AcceptResult>((resolve, reject) => ({ kind: 'accept', input, resolve, reject }));
  }

  record(entry: RequestEntry): Promise<void> {
    return this.enqueue<void>((resolve, reject) => ({ kind: 'record', entry, resolve, reject }));
  }

  private enqueue<T>(make: (resolve: (v: T) => void, reject: (e: unknown) => void) => Op): Promise<T> {
    if (this.closed) return Promise.reject(new JournalUnavailableError('the journal is closed (hookflow is stopping)'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push(make(resolve, reject));
      if (this.writing < PgJournal.MAX_WRITERS) void this.write();
    });
  }

  /** Writes everything queued in one transaction; more queue up meanwhile for the next one. */
  private async write(): Promise<void> {
    this.writing++;
    try {
      while (this.queue.length > 0) {
        const ops = this.queue.splice(0);
        try {
          const results = await this.commit(ops);
          ops.forEach((op, i) => (op.kind === 'accept' ? op.resolve(results[i] as AcceptResult) : op.resolve()));
        } catch (err) {
          const why = unavailable(err);
          for (const op of ops) op.reject(why);
        }
      }
    } finally {
      this.writing--;
    }
  }

  private async commit(ops: Op[]): Promise<Array<AcceptResult | undefined>> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const allAccepts = ops.filter((o): o is Extract<Op, { kind: 'accept' }> => o.kind === 'accept');
      let accepts = allAccepts;
      const results = new Map<Op, AcceptResult>();
      const reasons = new Map<Op, { code: string; message: string }>();
      let queued = 0;
      let notify = false;
      if (accepts.length > 0) {
        const sources = [...new Set(accepts.map((a) => a.input.event.source))];
        // Shared per-source lock: a wait_for subscription takes it exclusively, so it sees every
        // delivery of its source committed and none half-way (see subscribe).
        await c.query('SELECT pg_advisory_xact_lock_shared(hashtext($1 || s)) FROM unnest($2::text[]) AS s', [SOURCE_LOCK, sources]);
        // A source's `dedupe` key seen within its window: a duplicate of that delivery. The upsert takes
        // the key's row lock, so a concurrent transaction with the same key waits and then sees it.
        const contentDups: Array<(typeof accepts)[number]> = [];
        for (const a of accepts) {
          const content = a.input.content;
          if (!content) continue;
          const claimed = await c.query(
            `INSERT INTO content_keys (source, key, delivery_seq, delivery_id, expires_at) VALUES ($1, $2, 0, $3, $4)
             ON CONFLICT (source, key) DO UPDATE SET delivery_seq = 0, delivery_id = EXCLUDED.delivery_id, expires_at = EXCLUDED.expires_at
             WHERE content_keys.expires_at <= $5 RETURNING key`,
            [a.input.event.source, content.key, a.input.event.id, a.input.request.receivedAt + content.windowMs, a.input.request.receivedAt],
          );
          if (claimed.rows.length === 0) contentDups.push(a);
        }
        if (contentDups.length > 0) accepts = accepts.filter((a) => !contentDups.includes(a));
        const routed = await this.routesWanted(
          c,
          accepts.map((a) => a.input.event),
        );
        const ins = await c.query<{ seq: string; source: string; delivery_key: string }>(
          `INSERT INTO deliveries (source, delivery_key, request_id, event_type, event, received_at, route, match_pending)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::smallint[], $8::smallint[])
           ON CONFLICT (source, delivery_key) DO NOTHING RETURNING seq, source, delivery_key`,
          [
            accepts.map((a) => a.input.event.source),
            accepts.map((a) => a.input.deliveryKey),
            accepts.map((a) => a.input.request.id),
            accepts.map((a) => a.input.event.type),
            accepts.map((a) => JSON.stringify(a.input.event)),
            accepts.map((a) => a.input.request.receivedAt),
            routed.map((r) => (r ? 1 : 0)),
            accepts.map((a) => (a.input.deferMatch ? 1 : 0)),
          ],
        );
        if (ins.rows.length > 0 && (routed.some(Boolean) || accepts.some((a) => a.input.deferMatch))) notify = true;
        const fresh = new Map(ins.rows.map((r) => [`${r.source}\u0000${r.delivery_key}`, num(r.seq)]));
        const claimed = new Set<string>();
        const runCols: Array<Array<string | number | null>> = [[], [], [], [], [], []];
        const versions = new Map<string, string>();
        const dupKeys: Array<{ op: (typeof accepts)[number]; key: string }> = [];
        for (const a of accepts) {
          const key = `${a.input.event.source}\u0000${a.input.deliveryKey}`;
          const seq = fresh.get(key);
          // The first request of a key in this batch owns the new delivery; later ones are duplicates.
          if (seq === undefined || claimed.has(key)) {
            dupKeys.push({ op: a, key });
            continue;
          }
          claimed.add(key);
          for (const run of a.input.runs) {
            const v = recipeVersion(run.recipe);
            versions.set(v.hash, v.json);
            runCols[0]!.push(run.workflowId);
            runCols[1]!.push(seq);
            runCols[2]!.push(run.recipe.name);
            runCols[3]!.push(v.hash);
            runCols[4]!.push(a.input.request.receivedAt + (run.holdMs ?? a.input.holdMs ?? 0));
            runCols[5]!.push(run.replayOf ?? null);
          }
          queued += a.input.runs.length;
          const verdict: Verdict = a.input.runs.length === 0 && !a.input.deferMatch ? 'no_match' : 'accepted';
          results.set(a, {
            requestId: a.input.request.id,
            deliverySeq: seq,
            duplicate: false,
            verdict,
            runs: a.input.runs.map((r) => ({ recipe: r.recipe.name, workflowId: r.workflowId, state: 'queued', duplicate: false, attempts: 0 })),
          });
        }
        if (versions.size > 0) {
          await c.query('INSERT INTO recipe_versions (hash, recipe) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (hash) DO NOTHING', [
            [...versions.keys()],
            [...versions.values()],
          ]);
        }
        if (runCols[0]!.length > 0) {
          await c.query(
            `INSERT INTO runs (workflow_id, delivery_seq, recipe, recipe_hash, state, next_at, replay_of)
             SELECT w, d, r, h, 'queued', n, p FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[]) AS t(w, d, r, h, n, p)
             ON CONFLICT (workflow_id) DO NOTHING`,
            runCols,
          );
          notify = true;
        }
        if (dupKeys.length > 0) {
          const found = await c.query<{ seq: string; source: string; delivery_key: string }>(
            'SELECT seq, source, delivery_key FROM deliveries WHERE (source, delivery_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
            [dupKeys.map((d) => d.op.input.event.source), dupKeys.map((d) => d.op.input.deliveryKey)],
          );
          const seqOf = new Map(found.rows.map((r) => [`${r.source}\u0000${r.delivery_key}`, num(r.seq)]));
          const seqs = [...new Set(seqOf.values())];
          const runRows = seqs.length ? (await c.query('SELECT * FROM runs WHERE delivery_seq = ANY($1::bigint[]) ORDER BY recipe', [seqs])).rows : [];
          const bySeq = runsByDelivery(runRows);
          for (const d of dupKeys) {
            const seq = seqOf.get(d.key) ?? 0;
            // Rows written earlier in this transaction (a duplicate within the batch) are visible here.
            const runs: RunView[] = (bySeq.get(seq) ?? []).map((r) => runFrom(r, true));
            results.set(d.op, { requestId: d.op.input.request.id, deliverySeq: seq, duplicate: true, verdict: 'duplicate', runs });
          }
        }
      }
      // The content keys claimed above point at their delivery; the content duplicates answer from it.
      for (const a of accepts) {
        const r = results.get(a);
        if (a.input.content && r)
          await c.query('UPDATE content_keys SET delivery_seq = $3 WHERE source = $1 AND key = $2', [a.input.event.source, a.input.content.key, r.deliverySeq]);
      }
      for (const a of allAccepts) {
        if (!a.input.content || results.has(a)) continue;
        const hit = await c.query<{ delivery_seq: string; delivery_id: string }>(
          'SELECT delivery_seq, delivery_id FROM content_keys WHERE source = $1 AND key = $2',
          [a.input.event.source, a.input.content.key],
        );
        const seq = num(hit.rows[0]?.delivery_seq ?? 0);
        const runRows = (await c.query('SELECT * FROM runs WHERE delivery_seq = $1 ORDER BY recipe', [seq])).rows;
        results.set(a, {
          requestId: a.input.request.id,
          deliverySeq: seq,
          duplicate: true,
          verdict: 'duplicate',
          runs: runRows.map((row) => runFrom(row, true)),
        });
        reasons.set(a, contentDuplicate(hit.rows[0]?.delivery_id ?? '?', a.input.content.windowMs));
      }
      if (notify) await c.query(`SELECT pg_notify('${CHANNEL}', '')`);
      // Every request of the batch, accepted or not, in one insert.
      const rows = ops.map((op) => {
        if (op.kind === 'record') return requestColumns(op.entry, null);
        const r = results.get(op)!;
        const reason = reasons.get(op);
        return requestColumns({ ...op.input.request, verdict: r.verdict, ...(reason ? { error: reason } : {}) }, r.deliverySeq);
      });
      const cols = REQUEST_COLUMNS.split(', ').map((_, i) => rows.map((row) => row[i] ?? null));
      await c.query(
        `INSERT INTO requests (${REQUEST_COLUMNS})
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::int[], $9::text[], $10::int[], $11::text[], $12::text[], $13::text[], $14::text[], $15::bigint[], $16::text[])
         ON CONFLICT (id) DO NOTHING`,
        cols,
      );
      if (accepts.length > 0) await this.hooks.beforeCommit?.('accept');
      await c.query('COMMIT');
      if (queued > 0) this.pending += queued;
      return ops.map((op) => results.get(op));
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  async claim(owner: string, max: number, leaseMs: number): Promise<ClaimedRun[]> {
    const now = Date.now();
    const res = await this.pool.query<{ workflow_id: string; delivery_seq: string; recipe_hash: string; attempts: number; replay_of: string | null }>(
      `UPDATE runs SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1
       WHERE workflow_id IN (
         SELECT workflow_id FROM runs
         WHERE state = 'queued' AND next_at <= $3 AND (claimed_until IS NULL OR claimed_until < $3)
         ORDER BY delivery_seq LIMIT $4 FOR UPDATE SKIP LOCKED)
       RETURNING workflow_id, delivery_seq, recipe_hash, attempts, replay_of`,
      [owner, now + leaseMs, now, max],
    );
    if (res.rows.length === 0) return [];
    const seqs = [...new Set(res.rows.map((r) => num(r.delivery_seq)))];
    const events = new Map(
      (await this.pool.query<{ seq: string; event: string }>('SELECT seq, event FROM deliveries WHERE seq = ANY($1::bigint[])', [seqs])).rows.map((r) => [
        num(r.seq),
        r.event,
      ]),
    );
    const missing = [...new Set(res.rows.map((r) => r.recipe_hash))].filter((h) => !this.recipes.has(h));
    if (missing.length > 0) {
      for (const v of (
        await this.pool.query<{ hash: string; recipe: string }>('SELECT hash, recipe FROM recipe_versions WHERE hash = ANY($1::text[])', [missing])
      ).rows) {
        this.recipes.set(v.hash, JSON.parse(v.recipe) as Recipe);
      }
    }
    return res.rows
      .map((r) => ({
        workflowId: r.workflow_id,
        deliverySeq: num(r.delivery_seq),
        attempts: r.attempts,
        recipe: this.recipes.get(r.recipe_hash)!,
        event: parseEvent(events.get(num(r.delivery_seq))),
        ...(r.replay_of ? { replayOf: r.replay_of } : {}),
      }))
      .sort((a, b) => a.deliverySeq - b.deliverySeq);
  }

  async settle(outcomes: DispatchOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    const now = Date.now();
    const started = outcomes.filter((o) => o.outcome === 'started' || o.outcome === 'existed').map((o) => o.workflowId);
    const failed = outcomes.filter((o): o is Extract<DispatchOutcome, { outcome: 'failed' }> => o.outcome === 'failed');
    const retry = outcomes.filter((o): o is Extract<DispatchOutcome, { outcome: 'retry' }> => o.outcome === 'retry');
    let done = 0;
    if (started.length) {
      done +=
        (
          await this.pool.query(
            "UPDATE runs SET state = 'started', started_at = $1, claimed_by = NULL, claimed_until = NULL, last_error = NULL WHERE workflow_id = ANY($2::text[]) AND state = 'queued'",
            [now, started],
          )
        ).rowCount ?? 0;
    }
    for (const f of failed) {
      done +=
        (
          await this.pool.query(
            "UPDATE runs SET state = 'failed', last_error = $1, claimed_by = NULL, claimed_until = NULL WHERE workflow_id = $2 AND state = 'queued'",
            [f.error.slice(0, 2000), f.workflowId],
          )
        ).rowCount ?? 0;
    }
    for (const r of retry) {
      await this.pool.query(
        "UPDATE runs SET next_at = $1, last_error = $2, claimed_by = NULL, claimed_until = NULL WHERE workflow_id = $3 AND state = 'queued'",
        [r.retryAt, r.error.slice(0, 2000), r.workflowId],
      );
    }
    this.pending = Math.max(0, this.pending - done);
  }

  /** For each event: does a waiting run listen to its source and type? (Inside the accept transaction.) */
  private async routesWanted(c: pg.PoolClient, events: TriggerEvent[]): Promise<boolean[]> {
    const exact = await c.query<{ source: string; pattern: string }>(
      'SELECT DISTINCT source, pattern FROM wait_patterns WHERE is_glob = 0 AND (source, pattern) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
      [events.map((e) => e.source), events.map((e) => e.type)],
    );
    const globs = await c.query<{ source: string; pattern: string }>(
      'SELECT DISTINCT source, pattern FROM wait_patterns WHERE is_glob = 1 AND source = ANY($1::text[])',
      [[...new Set(events.map((e) => e.source))]],
    );
    const hit = new Set(exact.rows.map((r) => `${r.source}\u0000${r.pattern}`));
    return events.map((e) => hit.has(`${e.source}\u0000${e.type}`) || globs.rows.some((g) => g.source === e.source && globMatches(g.pattern, e.type)));
  }

  async subscribe(wait: WaitSubscription): Promise<{ afterSeq: number }> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      // Exclusive per-source lock: no delivery of this source is being journaled right now, so every
      // one up to max(seq) is committed and every later one gets a greater seq (and sees this wait).
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1 || $2))', [SOURCE_LOCK, wait.source]);
      const max = await c.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM deliveries WHERE source = $1', [wait.source]);
      const afterSeq = num(max.rows[0]?.seq ?? 0);
      await c.query(
        `INSERT INTO waits (id, workflow_id, source, events, match, context, since, after_seq, expires_at, state, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'waiting', $10) ON CONFLICT (id) DO NOTHING`,
        [
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
        ],
      );
      const patterns = [...new Set(wait.events)];
      await c.query(
        'INSERT INTO wait_patterns (source, is_glob, pattern, wait_id) SELECT $1, g, p, $2 FROM unnest($3::smallint[], $4::text[]) AS t(g, p) ON CONFLICT DO NOTHING',
        [wait.source, wait.id, patterns.map((p) => (isGlob(p) ? 1 : 0)), patterns],
      );
      await this.hooks.beforeCommit?.('subscribe');
      await c.query('COMMIT');
      return { afterSeq };
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  async backlog(wait: WaitSubscription, afterSeq: number, limit: number): Promise<Array<{ seq: number; event: TriggerEvent }>> {
    const rows = (
      await this.pool.query<{ seq: string; event_type: string; event: string }>(
        'SELECT seq, event_type, event FROM deliveries WHERE source = $1 AND seq <= $2 AND received_at >= $3 ORDER BY seq LIMIT $4',
        [wait.source, afterSeq, wait.since - SKEW_MS, limit],
      )
    ).rows;
    return rows.filter((r) => wait.events.some((p) => globMatches(p, r.event_type))).map((r) => ({ seq: num(r.seq), event: parseEvent(r.event) }));
  }

  async claimWait(waitId: string, seq: number): Promise<boolean> {
    const won = await this.pool.query("UPDATE waits SET state = 'matched', matched_seq = $1 WHERE id = $2 AND state = 'waiting'", [seq, waitId]);
    if (won.rowCount === 1) {
      await this.pool.query('DELETE FROM wait_patterns WHERE wait_id = $1', [waitId]);
      return true;
    }
    const w = await this.pool.query<{ matched_seq: string | null }>('SELECT matched_seq FROM waits WHERE id = $1', [waitId]);
    return w.rows[0]?.matched_seq !== null && w.rows[0] !== undefined && num(w.rows[0].matched_seq) === seq;
  }

  async cancelWait(waitId: string): Promise<TriggerEvent | null> {
    const closed = await this.pool.query("UPDATE waits SET state = 'cancelled' WHERE id = $1 AND state = 'waiting'", [waitId]);
    if (closed.rowCount === 1) {
      await this.pool.query('DELETE FROM wait_patterns WHERE wait_id = $1', [waitId]);
      return null;
    }
    const w = await this.pool.query<{ event: string | null }>(
      "SELECT d.event FROM waits w JOIN deliveries d ON d.seq = w.matched_seq WHERE w.id = $1 AND w.state = 'matched'",
      [waitId],
    );
    const ev = w.rows[0]?.event;
    return ev ? parseEvent(ev) : null;
  }

  /** Leases up to `max` deliveries flagged by `flag` (not leased by another process now), in journal order. */
  private async claimFlagged(
    flag: 'route' | 'match_pending',
    lease: 'route_claimed_until' | 'match_claimed_until',
    max: number,
    leaseMs: number,
  ): Promise<Array<{ seq: number; event: TriggerEvent }>> {
    const now = Date.now();
    const { rows } = await this.pool.query<{ seq: string; event: string }>(
      `UPDATE deliveries SET ${lease} = $1
       WHERE seq IN (SELECT seq FROM deliveries WHERE ${flag} = 1 AND (${lease} IS NULL OR ${lease} < $2) ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING seq, event`,
      [now + leaseMs, now, max],
    );
    return rows.map((r) => ({ seq: num(r.seq), event: parseEvent(r.event) })).sort((a, b) => a.seq - b.seq);
  }

  async claimRoutes(_owner: string, max: number, leaseMs: number): Promise<RouteJob[]> {
    const jobs: RouteJob[] = [];
    for (const { seq, event } of await this.claimFlagged('route', 'route_claimed_until', max, leaseMs)) {
      const found = await this.pool.query(
        `SELECT w.* FROM waits w WHERE w.state = 'waiting' AND w.after_seq < $3 AND w.id IN (
           SELECT wait_id FROM wait_patterns WHERE source = $1 AND ((is_glob = 0 AND pattern = $2) OR is_glob = 1))
         UNION ALL SELECT * FROM waits WHERE matched_seq = $3 AND state = 'matched' AND after_seq < $3`,
        [event.source, event.type, seq],
      );
      jobs.push({ seq, event, candidates: candidatesFor(found.rows, event, seq) });
    }
    return jobs;
  }

  async claimUnmatched(_owner: string, max: number, leaseMs: number): Promise<UnmatchedDelivery[]> {
    return this.claimFlagged('match_pending', 'match_claimed_until', max, leaseMs);
  }

  async attachRuns(seq: number, runs: Array<{ recipe: Recipe; workflowId: string }>): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      // Only once: a second matcher of the same delivery (its lease ran out) finds it done.
      const won = await c.query('UPDATE deliveries SET match_pending = 0, match_claimed_until = NULL WHERE seq = $1 AND match_pending = 1', [seq]);
      if (won.rowCount === 1) {
        const now = Date.now();
        for (const run of runs) {
          const v = recipeVersion(run.recipe);
          await c.query('INSERT INTO recipe_versions (hash, recipe) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING', [v.hash, v.json]);
          await c.query(
            "INSERT INTO runs (workflow_id, delivery_seq, recipe, recipe_hash, state, next_at) VALUES ($1, $2, $3, $4, 'queued', $5) ON CONFLICT (workflow_id) DO NOTHING",
            [run.workflowId, seq, run.recipe.name, v.hash, now],
          );
        }
        if (runs.length === 0) await c.query("UPDATE requests SET verdict = 'no_match' WHERE delivery_seq = $1", [seq]);
        else await c.query(`SELECT pg_notify('${CHANNEL}', '')`);
      }
      await c.query('COMMIT');
      if (won.rowCount === 1) this.pending += runs.length;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  async finishRoutes(seqs: number[]): Promise<void> {
    if (seqs.length === 0) return;
    await this.pool.query('UPDATE deliveries SET route = 2, route_claimed_until = NULL WHERE seq = ANY($1::bigint[])', [seqs]);
  }

  pendingEstimate(): number {
    return this.pending;
  }

  onQueued(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private async refreshPending(): Promise<void> {
    try {
      const r = await this.pool.query<{ n: string }>("SELECT count(*) AS n FROM runs WHERE state = 'queued'");
      this.pending = num(r.rows[0]?.n ?? 0);
    } catch {
      /* keep the estimate */
    }
  }

  async stats(): Promise<JournalStats> {
    const q = await this.pool.query<{ n: string; oldest: string | null; failed: string }>(
      "SELECT (SELECT count(*) FROM runs WHERE state = 'queued') AS n, (SELECT min(d.received_at) FROM runs r JOIN deliveries d ON d.seq = r.delivery_seq WHERE r.state = 'queued') AS oldest, (SELECT count(*) FROM runs WHERE state = 'failed') AS failed",
    );
    const row = q.rows[0]!;
    this.pending = num(row.n);
    return { pending: this.pending, oldestPendingMs: row.oldest === null ? 0 : Math.max(0, Date.now() - num(row.oldest)), failed: num(row.failed) };
  }

  async listRequests(filter: RequestFilter): Promise<RequestSummary[]> {
    const { sql, params } = listRequestsQuery(filter, (n) => `$${n}`);
    const rows = (await this.pool.query(sql, params)).rows;
    const seqs = deliverySeqs(rows);
    const runRows = seqs.length ? (await this.pool.query('SELECT * FROM runs WHERE delivery_seq = ANY($1::bigint[]) ORDER BY recipe', [seqs])).rows : [];
    return summariesWithRuns(rows, runRows);
  }

  async getRequest(id: string): Promise<RequestDetail | undefined> {
    const row = (await this.pool.query(`SELECT ${REQUEST_COLUMNS} FROM requests WHERE id = $1`, [id])).rows[0] as Record<string, unknown> | undefined;
    if (!row) return undefined;
    const seq = row.delivery_seq === null ? undefined : num(row.delivery_seq);
    const runs =
      seq === undefined
        ? []
        : (await this.pool.query('SELECT * FROM runs WHERE delivery_seq = $1 ORDER BY recipe', [seq])).rows.map((r) => runFrom(r, row.verdict === 'duplicate'));
    const ev = seq === undefined ? undefined : (await this.pool.query<{ event: string }>('SELECT event FROM deliveries WHERE seq = $1', [seq])).rows[0]?.event;
    const body = (row.body as Buffer | null) ?? Buffer.alloc(0);
    return detailFrom(row, runs, body, ev);
  }

  async prune(olderThan: number): Promise<number> {
    const cutoffId = firstRequestIdAt(olderThan);
    let deleted = 0;
    // Content keys of `dedupe` past their window.
    await this.pool.query('DELETE FROM content_keys WHERE expires_at < $1', [Date.now()]);
    for (;;) {
      const n =
        (
          await this.pool.query(
            `DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE id < $1 AND (delivery_seq IS NULL OR delivery_seq NOT IN (SELECT delivery_seq FROM runs WHERE state = 'queued')) LIMIT 5000)`,
            [cutoffId],
          )
        ).rowCount ?? 0;
      deleted += n;
      if (n < 5000) break;
    }
    for (;;) {
      const c = await this.pool.connect();
      let n: number;
      try {
        await c.query('BEGIN');
        const seqs = (
          await c.query<{ seq: string }>(
            `SELECT seq FROM deliveries WHERE received_at < $1 AND seq NOT IN (SELECT delivery_seq FROM runs WHERE state = 'queued') LIMIT 5000`,
            [olderThan],
          )
        ).rows.map((r) => r.seq);
        if (seqs.length > 0) {
          await c.query('DELETE FROM runs WHERE delivery_seq = ANY($1::bigint[])', [seqs]);
          await c.query('DELETE FROM deliveries WHERE seq = ANY($1::bigint[])', [seqs]);
        }
        await c.query('COMMIT');
        n = seqs.length;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        c.release();
      }
      deleted += n;
      if (n < 5000) break;
    }
    deleted += (await this.pool.query("DELETE FROM waits WHERE state <> 'waiting' AND created_at < $1", [olderThan])).rowCount ?? 0;
    const stale = (
      await this.pool.query<{ id: string }>("DELETE FROM waits WHERE state = 'waiting' AND expires_at < $1 RETURNING id", [Date.now() - 86_400_000])
    ).rows.map((r) => r.id);
    if (stale.length > 0) await this.pool.query('DELETE FROM wait_patterns WHERE wait_id = ANY($1::text[])', [stale]);
    return deleted + stale.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    while (this.writing > 0 || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
    this.closed = true;
    clearInterval(this.refresh);
    await this.listener?.end().catch(() => {});
    await this.pool.end();
  }
}
