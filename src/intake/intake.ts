// The intake stage between the ingress and Temporal: journals each verified delivery and answers
// once it is durable (`journal` mode, the default), or also starts its runs before answering
// (`direct` mode, v1's behaviour). Records every other request in the request log, within a
// per-source budget so a flood of junk cannot fill the disk.
import type { Recipe, TriggerEvent } from '../core/types.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Dispatcher } from './dispatcher.js';
import { JournalUnavailableError, type AcceptResult, type Journal, type RequestEntry, type RunView } from './journal.js';
import { RefusalBudget } from './refusal-budget.js';

export type IntakeMode = 'journal' | 'direct';

/** Too many deliveries wait for Temporal: the webhook is refused with 503 so the provider retries later. */
export class BacklogFullError extends Error {
  constructor(
    readonly pending: number,
    readonly max: number,
  ) {
    super(`${pending} deliveries are waiting to start in Temporal (HOOKFLOW_JOURNAL_MAX_PENDING=${max}); retry later`);
    this.name = 'BacklogFullError';
  }
}

/** Direct mode only: the delivery is journaled but Temporal did not store its runs in time. */
export class StartFailedError extends Error {
  constructor(
    message: string,
    readonly requestId: string,
  ) {
    super(message);
    this.name = 'StartFailedError';
  }
}

export interface IntakeOptions {
  journal: Journal;
  dispatcher: Dispatcher;
  mode: IntakeMode;
  maxPending: number;
  logger: Logger;
  metrics?: Metrics;
  /** Direct mode: how long the journal leaves a delivery's runs to the request that brought them. */
  directHoldMs?: number;
}

export interface Delivery {
  request: RequestEntry;
  event: TriggerEvent;
  /** Dedupe key within the source (the delivery id; replays add a suffix). */
  deliveryKey: string;
  /** `holdMs`: a run this request starts itself (a `respond.after` recipe), left alone by the dispatcher meanwhile. */
  runs: Array<{ recipe: Recipe; workflowId: string; replayOf?: string; holdMs?: number }>;
  /** The source's `dedupe` content key (hashed) and window. */
  content?: { key: string; windowMs: number };
}

export class Intake {
  private readonly budget = new RefusalBudget();

  constructor(readonly opts: IntakeOptions) {}

  get journal(): Journal {
    return this.opts.journal;
  }

  /** Journals a verified delivery (and in direct mode starts its runs); the answer's runs and states. */
  async deliver(d: Delivery): Promise<AcceptResult> {
    const { journal, mode, maxPending } = this.opts;
    const pending = journal.pendingEstimate();
    if (d.runs.length > 0 && pending >= maxPending) throw new BacklogFullError(pending, maxPending);
    const t0 = performance.now();
    const holdMs = mode === 'direct' ? (this.opts.directHoldMs ?? 10_000) : 0;
    const result = await journal.accept({ ...d, ...(holdMs ? { holdMs } : {}) });
    this.opts.metrics?.journalCommitSeconds.observe((performance.now() - t0) / 1000);
    if (mode === 'journal' || result.duplicate || result.runs.length === 0) return result;

    // Direct: start the runs now and answer with what Temporal said. A failure leaves them queued
    // in the journal, where the dispatcher retries them: the provider's retry is then a duplicate.
    // A held run (respond.after) is started by the request itself, not here.
    const byId = new Map(d.runs.map((r) => [r.workflowId, r]));
    const toStart = result.runs.filter((run) => byId.get(run.workflowId)?.holdMs === undefined);
    const outcomes = new Map(
      (
        await Promise.all(
          toStart.map((run) => {
            const spec = byId.get(run.workflowId)!;
            return this.opts.dispatcher.startOne({
              workflowId: run.workflowId,
              deliverySeq: result.deliverySeq,
              attempts: 1,
              recipe: spec.recipe,
              event: d.event,
              ...(spec.replayOf ? { replayOf: spec.replayOf } : {}),
            });
          }),
        )
      ).map((o) => [o.workflowId, o]),
    );
    const failed = [...outcomes.values()].find((o) => o.outcome === 'retry');
    if (failed && failed.outcome === 'retry') throw new StartFailedError(failed.error, result.requestId);
    const runs: RunView[] = result.runs.map((run) => {
      const o = outcomes.get(run.workflowId);
      if (!o) return run;
      return {
        ...run,
        state: o.outcome === 'failed' ? 'failed' : 'started',
        duplicate: o.outcome === 'existed',
        ...(o.outcome === 'failed' ? { error: o.error } : {}),
      };
    });
    return { ...result, runs };
  }

  /**
   * Records a request that carries no delivery. Refusals are kept within a per-source budget; the
   * answer never waits for this write.
   */
  record(entry: RequestEntry, budgetKey: string): void {
    if (entry.verdict === 'rejected' && !this.budget.take(budgetKey)) {
      this.opts.metrics?.requestsUnrecorded.inc({ source: budgetKey });
      return;
    }
    this.opts.journal.record(entry).catch((err: unknown) => {
      if (!(err instanceof JournalUnavailableError)) this.opts.logger.warn({ err: String(err) }, 'could not record a request in the request log');
    });
  }
}
