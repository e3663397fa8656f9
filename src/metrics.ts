// Prometheus metrics (prom-client), served on /metrics. One registry per process.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
    help: 'Runs started by recipe (duplicate="true": the delivery had started it already)',
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

  constructor(opts: { defaults?: boolean } = {}) {
    if (opts.defaults !== false) collectDefaultMetrics({ register: this.registry, prefix: 'hookflow_process_' });
  }

  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
