// Prometheus metrics (prom-client), served on /metrics. One registry per process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the intake gauges read when /metrics is scraped. */
export interface IntakeProbe {
  stats(): Promise<{ pending: number; oldestPendingMs: number; failed: number }>;
  concurrency(): number;
}

export class Metrics {
  readonly registry = new Registry();

  /** Webhooks by source and outcome: accepted, duplicate, no_match, handshake, rejected (with reason), unavailable. */
  readonly webhooks = new Counter({
    name: 'hookflow_webhooks_received_total',
    help: 'Webhooks received, by source and outcome (reason: the error code of a refusal)',
    labelNames: ['source', 'outcome', 'reason'] as const,
    registers: [this.registry],
  });

  readonly runsStarted = new Counter({
    name: 'hookflow_runs_started_total',
    help: 'Runs accepted for starting, by recipe (duplicate="true": a repeated delivery, nothing new); hookflow_dispatch_total counts the starts in Temporal',
    labelNames: ['recipe', 'duplicate'] as const,
    registers: [this.registry],
  });

  readonly ingressSeconds = new Histogram({
    name: 'hookflow_ingress_duration_seconds',
    help: 'Time from the request to the answer on a trigger URL, durable starts included',
    labelNames: ['source', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** Worker side: each activity attempt by step kind and outcome (ok, retry, failed). */
  readonly stepAttempts = new Counter({
    name: 'hookflow_step_attempts_total',
    help: 'Outbound step attempts by kind (http, email, sms, push) and outcome (ok, retry, failed)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly stepSeconds = new Histogram({
    name: 'hookflow_step_attempt_duration_seconds',
    help: 'Duration of one outbound step attempt, by kind',
    labelNames: ['kind'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  /** Intake: what the dispatcher did with each claimed run (started, existed, retry, failed). */
  readonly dispatched = new Counter({
    name: 'hookflow_dispatch_total',
    help: 'Run starts attempted by the dispatcher, by outcome: started, existed (a repeated start), retry (Temporal could not take it now), failed (refused for good)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly dispatchSeconds = new Histogram({
    name: 'hookflow_dispatch_duration_seconds',
    help: 'Time Temporal took to answer one run start from the dispatcher',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly journalCommitSeconds = new Histogram({
    name: 'hookflow_journal_commit_seconds',
    help: 'Time from a verified delivery to its durable commit in the intake journal (group commit included)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly requestsUnrecorded = new Counter({
    name: 'hookflow_requests_unrecorded_total',
    help: 'Refused requests answered but not kept in the request log (over the per-source budget)',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly waitsWoken = new Counter({
    name: 'hookflow_waits_woken_total',
    help: 'Runs waiting in wait_for that were handed their event (outcome: woken, or gone when the run had ended)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private probe?: IntakeProbe;

  readonly pending = new Gauge({
    name: 'hookflow_journal_pending',
    help: 'Runs journaled and not yet started in Temporal',
    registers: [this.registry],
    collect: async () => {
      const s = await this.probe?.stats();
      if (!s) return;
      this.pending.set(s.pending);
      this.oldestPending.set(s.oldestPendingMs / 1000);
      this.failedRuns.set(s.failed);
      this.dispatchConcurrency.set(this.probe?.concurrency() ?? 0);
    },
  });

  readonly oldestPending = new Gauge({
    name: 'hookflow_journal_oldest_pending_seconds',
    help: 'Age of the oldest run journaled and not yet started',
    registers: [this.registry],
  });
  readonly failedRuns = new Gauge({
    name: 'hookflow_journal_failed_runs',
    help: 'Runs Temporal refused for good (see `hookflow requests --verdict accepted`)',
    registers: [this.registry],
  });
  readonly dispatchConcurrency = new Gauge({
    name: 'hookflow_dispatch_concurrency',
    help: 'Starts the dispatcher currently allows in flight (self-adjusting)',
    registers: [this.registry],
  });

  /** Points the intake gauges at a journal and dispatcher. */
  watchIntake(probe: IntakeProbe): void {
    this.probe = probe;
  }

  constructor(opts: { defaults?: boolean } = {}) {
    if (opts.defaults !== false) collectDefaultMetrics({ register: this.registry, prefix: 'hookflow_process_' });
  }

  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
