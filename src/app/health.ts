// What the ingress's /healthz says: the recipes, the journal's backlog, Temporal and the local
// worker, and whether webhooks are accepted now (the status: 200 or 503).
import type { Worker } from '@temporalio/worker';
import type { Outbox } from '../activities/outbox.js';
import type { Config } from '../config.js';
import type { HealthReport } from '../ingress/app.js';
import type { Journal } from '../intake/journal.js';
import type { RecipeSet } from '../recipes/recipe-set.js';
import type { HookflowClient } from '../temporal/client.js';

export function ingressHealth(
  config: Config,
  deps: { client: HookflowClient; journal: Journal; recipes: RecipeSet; worker: Worker | undefined; outbox: Outbox | undefined },
): () => Promise<HealthReport> {
  const { client, journal: j, recipes, worker, outbox } = deps;
  return async () => {
    const [temporal, stats] = await Promise.all([client.unhealthyReason(), j.stats().catch((err: unknown) => err as Error)]);
    const workerState = worker?.getState();
    const report = {
      recipes: recipes.current.recipes.length,
      intake: config.intake,
      journal:
        stats instanceof Error
          ? { kind: j.kind, error: stats.message }
          : { kind: j.kind, pending: stats.pending, oldest_pending_ms: stats.oldestPendingMs, failed: stats.failed, max_pending: config.maxPending },
      temporal: temporal ? { ok: false, reason: temporal } : { ok: true },
      ...(workerState ? { worker: workerState } : {}),
      ...(outbox ? { outbox: 'on: email, SMS, push and http to hosts not in HOOKFLOW_OUTBOUND_ALLOW are captured, not sent' } : {}),
    };
    // Journal intake: healthy while webhooks are accepted, even with Temporal down (they wait in the journal).
    const why =
      stats instanceof Error
        ? `the intake journal does not answer: ${stats.message}`
        : stats.pending >= config.maxPending
          ? `the backlog is full (${stats.pending} pending): new webhooks get 503`
          : config.intake === 'direct' && temporal
            ? temporal
            : config.intake === 'direct' && workerState && workerState !== 'RUNNING'
              ? `the worker is ${workerState}`
              : undefined;
    return why ? { ok: false, reason: why, ...report } : { ok: true, ...report };
  };
}
