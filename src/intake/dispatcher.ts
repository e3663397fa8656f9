// The dispatcher: starts the runs of journaled deliveries in Temporal, oldest first, with as many
// starts in flight as Temporal takes (ConcurrencyLimit), resumed after any crash (claims are leases
// that expire). A start that is repeated — after a crash, or by two processes — creates nothing
// twice: the workflow id `<recipe>/<source>/<delivery id>` is Temporal's dedupe key.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Wake } from '../core/runtime-contract.js';
import type { Recipe, TriggerEvent } from '../core/types.js';
import { waitAccepts } from '../core/waits.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import type { ClaimedRun, DispatchOutcome, Journal, RouteJob } from './journal.js';

/** What the dispatcher needs of Temporal. */
export interface RunStarter {
  /** Resolves `duplicate: true` when the workflow id exists already; throws on failure. */
  startRun(recipe: Recipe, event: TriggerEvent, extra: { workflowId: string; replayOf?: string }): Promise<{ duplicate: boolean }>;
}

/** What the router needs of Temporal: signal a waiting run. */
export interface RunWaker {
  /** 'gone' when the run has ended (nobody to wake); throws when Temporal cannot be reached. */
  wake(workflowId: string, wake: Wake): Promise<'woken' | 'gone'>;
}

/** How a start failure is treated: `retry` (Temporal cannot take it now) or `refused` (it never will). */
export type FailureKind = 'retry' | 'refused';

export interface DispatcherOptions {
  journal: Journal;
  starter: RunStarter;
  /** Wakes runs waiting in `wait_for` with the deliveries they match (the router). */
  waker?: RunWaker;
  /** The runs the current recipes want for an event journaled without them (`hookflow` events). */
  matcher?: (event: TriggerEvent) => Array<{ recipe: Recipe; workflowId: string }>;
  /** Which failures are final (e.g. Temporal's INVALID_ARGUMENT); everything else is retried. */
  classify: (err: unknown) => FailureKind;
  logger: Logger;
  metrics?: Metrics;
  /** Claims expire after this long, so a crashed process's runs are taken over (default 30 s). */
  leaseMs?: number;
  /** Fallback poll for backed-off runs and other processes' deliveries (default 1 s). */
  pollMs?: number;
  maxConcurrency?: number;
}

const BACKOFF_MIN_MS = 250;
// Short: an outage is handled by the dispatcher pausing as a whole; this only spreads one run's retries.
const BACKOFF_MAX_MS = 5_000;

/** Delay before the n-th retry of a start: exponential with full jitter, capped. */
export function retryDelayMs(attempt: number): number {
  const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(16, Math.max(0, attempt - 1)));
  return Math.round(cap / 2 + Math.random() * (cap / 2));
}

export class Dispatcher {
  readonly owner = `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
  private readonly limit: ConcurrencyLimit;
  private inFlight = 0;
  private stopped = true;
  // Each loop runs one round at a time; a kick during a round asks for one more after it.
  private readonly pumpLoop = new Coalesced(
    () => this.pump(),
    () => !this.stopped,
  );
  private readonly routeLoop = new Coalesced(
    () => this.routeAll().catch((err: unknown) => this.opts.logger.warn({ err: String(err) }, 'routing events to waiting runs failed; trying again')),
    () => !this.stopped,
  );
  private readonly matchLoop = new Coalesced(
    () => this.matchAll().catch((err: unknown) => this.opts.logger.warn({ err: String(err) }, 'matching hookflow events to recipes failed; trying again')),
    () => !this.stopped,
  );
  /** While Temporal is failing, claiming pauses until this time (one probe at a time after it). */
  private pausedUntil = 0;
  private pauseMs = 0;
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private readonly idle = new Set<() => void>();
  private readonly leaseMs: number;
  private readonly pollMs: number;

  constructor(private readonly opts: DispatcherOptions) {
    this.limit = new ConcurrencyLimit({ max: opts.maxConcurrency ?? 64 });
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.pollMs = opts.pollMs ?? 1_000;
  }

  get concurrency(): number {
    return this.limit.limit;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.opts.journal.onQueued(() => this.kick());
    const tick = (): void => {
      this.kick();
      this.timer = setTimeout(tick, this.pollMs);
      this.timer.unref();
    };
    tick();
  }

  /**
   * Stops claiming and resolves when the starts in flight have finished and been recorded. With
   * `drainMs`, first keeps starting what is queued for up to that long, so webhooks answered just
   * before a shutdown do not wait for the next start (a queued run left over is started then).
   */
  async stop(opts: { drainMs?: number } = {}): Promise<void> {
    const until = Date.now() + (opts.drainMs ?? 0);
    while (!this.stopped && Date.now() < until && this.pauseMs === 0) {
      const before = (await this.opts.journal.stats().catch(() => undefined))?.pending ?? 0;
      if (before === 0) break;
      this.kick();
      await new Promise((r) => setTimeout(r, 50));
    }
    this.stopped = true;
    clearTimeout(this.timer);
    this.unsubscribe?.();
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.add(resolve));
  }

  /** Asks for a claim round soon (after new deliveries, a finished start, or the poll). */
  kick(): void {
    if (this.stopped) return;
    if (this.opts.waker) this.routeLoop.kick();
    if (this.opts.matcher) this.matchLoop.kick();
    this.pumpLoop.kick();
  }

  /** Finds the recipes of events journaled without them, and journals their runs (started by the run pump). */
  private async matchAll(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const found = await this.opts.journal.claimUnmatched(this.owner, 50, 10_000);
      for (const d of found) await this.opts.journal.attachRuns(d.seq, this.opts.matcher!(d.event));
      if (found.length < 50) return;
    }
  }

  /** Hands each new delivery that waiting runs may want to the runs whose `match` accepts it. */
  private async routeAll(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const jobs = await this.opts.journal.claimRoutes(this.owner, 50, 10_000);
      if (jobs.length === 0) return;
      const done: number[] = [];
      await Promise.all(
        jobs.map(async (job) => {
          if (await this.route(job)) done.push(job.seq);
        }),
      );
      await this.opts.journal.finishRoutes(done);
      if (jobs.length < 50) return;
    }
  }

  /** True when the delivery is fully routed; false leaves it to be routed again when its lease ends. */
  private async route(job: RouteJob): Promise<boolean> {
    let complete = true;
    for (const wait of job.candidates) {
      // A repeat of a routing interrupted after the wait was won still owes the run its signal.
      if (!wait.matchedHere) {
        if (!waitAccepts({ source: job.event.source, events: wait.events, ...(wait.match ? { match: wait.match } : {}), context: wait.context }, job.event))
          continue;
        if (!(await this.opts.journal.claimWait(wait.id, job.seq))) continue;
      }
      try {
        const r = await this.opts.waker!.wake(wait.workflowId, { waitId: wait.id, event: job.event });
        this.opts.metrics?.waitsWoken.inc({ outcome: r });
      } catch (err) {
        complete = false;
        this.opts.logger.warn({ workflowId: wait.workflowId, err: String(err) }, 'could not wake a waiting run; the event stays journaled for it');
      }
    }
    return complete;
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const now = Date.now();
      if (now < this.pausedUntil) return;
      // After a failure, probe with one start at a time until one succeeds.
      const cap = this.pauseMs > 0 ? 1 : this.limit.limit;
      const room = cap - this.inFlight;
      if (room <= 0) return;
      let claimed: ClaimedRun[];
      try {
        claimed = await this.opts.journal.claim(this.owner, room, this.leaseMs);
      } catch (err) {
        this.opts.logger.warn({ err: String(err) }, 'the dispatcher could not read the journal; trying again');
        return;
      }
      if (claimed.length === 0) return;
      for (const run of claimed) void this.startOne(run);
      if (claimed.length < room) return;
    }
  }

  /**
   * Starts one claimed run and records the outcome. Also used by direct intake, which awaits it
   * before answering the webhook.
   */
  async startOne(run: ClaimedRun): Promise<DispatchOutcome> {
    this.inFlight++;
    const t0 = performance.now();
    let outcome: DispatchOutcome;
    try {
      const r = await this.opts.starter.startRun(run.recipe, run.event, { workflowId: run.workflowId, ...(run.replayOf ? { replayOf: run.replayOf } : {}) });
      this.limit.success(performance.now() - t0);
      this.pauseMs = 0;
      outcome = { workflowId: run.workflowId, outcome: r.duplicate ? 'existed' : 'started' };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (this.opts.classify(err) === 'refused') {
        outcome = { workflowId: run.workflowId, outcome: 'failed', error: message };
        this.opts.logger.error({ workflowId: run.workflowId, err: message }, 'Temporal refused this run for good; it is marked failed in the request log');
      } else {
        this.limit.failure();
        this.pauseMs = Math.min(5_000, Math.max(200, this.pauseMs * 2));
        this.pausedUntil = Date.now() + this.pauseMs;
        setTimeout(() => this.kick(), this.pauseMs).unref();
        outcome = { workflowId: run.workflowId, outcome: 'retry', error: message, retryAt: Date.now() + retryDelayMs(run.attempts) };
        this.opts.logger.warn(
          { workflowId: run.workflowId, attempt: run.attempts, err: message },
          'Temporal could not take the run now; it stays queued in the journal',
        );
      }
    }
    this.opts.metrics?.dispatched.inc({ outcome: outcome.outcome });
    this.opts.metrics?.dispatchSeconds.observe((performance.now() - t0) / 1000);
    try {
      await this.opts.journal.settle([outcome]);
    } catch (err) {
      // The run is started; the journal will hand it out again when the lease ends, and that second
      // start finds it existing. Nothing is lost or doubled.
      this.opts.logger.warn({ workflowId: run.workflowId, err: String(err) }, 'could not record a dispatch outcome; the run will be checked again');
    }
    this.inFlight--;
    if (this.inFlight === 0 && this.idle.size > 0) {
      const waiting = [...this.idle];
      this.idle.clear();
      for (const fn of waiting) fn();
    }
    this.kick();
    return outcome;
  }
}

/** Runs `round` one at a time: a kick while a round runs asks for exactly one more round after it. */
class Coalesced {
  private running = false;
  private again = false;

  constructor(
    private readonly round: () => Promise<unknown>,
    private readonly active: () => boolean,
  ) {}

  kick(): void {
    if (!this.active()) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.round().finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }
}
