// The ingress role: the dispatcher that moves journaled deliveries into Temporal, the request log's
// pruner, the intake, and the HTTP server with the trigger URLs, the admin side and /healthz.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router } from 'express';
import type { Worker } from '@temporalio/worker';
import type { Outbox } from '../activities/outbox.js';
import type { Config } from '../config.js';
import { runWorkflowId } from '../core/runtime-contract.js';
import { createIngress } from '../ingress/app.js';
import { Dispatcher } from '../intake/dispatcher.js';
import { Intake } from '../intake/intake.js';
import type { Journal } from '../intake/journal.js';
import { Replayer } from '../intake/replay.js';
import { Responder } from '../intake/respond.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { TemporalRefusedError, type HookflowClient } from '../temporal/client.js';
import { adminRoutes } from './admin-routes.js';
import { ingressHealth } from './health.js';
import { answerMalformedRequests, boundTo, closeGracefully, listen } from './http-server.js';
import type { LoadedRecipes } from './recipes.js';
import type { CleanupStack } from './shutdown.js';

export interface IngressRoleDeps {
  config: Config;
  loaded: LoadedRecipes;
  journal: Journal;
  client: HookflowClient;
  /** The worker in this same process, if any (its state is part of /healthz). */
  worker: Worker | undefined;
  temporalUiUrl: string | undefined;
  outbox: Outbox | undefined;
  /** More endpoints on the ingress's port (the codec endpoint). */
  routers: Router[];
  metrics: Metrics;
  logger: Logger;
  cleanups: CleanupStack;
}

export interface IngressRole {
  dispatcher: Dispatcher;
  /** A URL this machine can call the ingress at. */
  url: string;
  /** What the ingress is bound to, for the banner. */
  listening: string;
}

export async function startIngressRole(deps: IngressRoleDeps): Promise<IngressRole> {
  const { config, loaded, journal, client, metrics, logger, cleanups } = deps;
  const { recipes } = loaded;
  const dispatcher = new Dispatcher({
    journal,
    starter: client,
    waker: client,
    matcher: (event) => recipes.current.index.match(event).map((recipe) => ({ recipe, workflowId: runWorkflowId(recipe.name, event.source, event.id) })),
    classify: (err) => (err instanceof TemporalRefusedError ? 'refused' : 'retry'),
    logger,
    metrics,
  });
  dispatcher.start();
  cleanups.push(() => dispatcher.stop({ drainMs: 10_000 }));
  const pruner = startPruner(journal, config.retentionMs, logger);
  cleanups.push(() => clearInterval(pruner));
  metrics.watchIntake({ stats: () => journal.stats(), concurrency: () => dispatcher.concurrency });
  const intake = new Intake({ journal, dispatcher, mode: config.intake, maxPending: config.maxPending, logger, metrics });

  let url: string | undefined;
  const admin = adminRoutes(config, {
    journal,
    loaded,
    replayer: new Replayer(intake, recipes, (source, since) => client.failedRuns(source, since)),
    client,
    concurrency: () => dispatcher.concurrency,
    temporalUiUrl: deps.temporalUiUrl,
    selfUrl: () => url,
    outbox: deps.outbox,
  });
  const app = createIngress({
    recipes,
    intake,
    api: admin.api,
    console: admin.console,
    responder: new Responder(client, journal, logger),
    publicUrl: config.publicUrl,
    logger,
    metrics,
    env: config.env,
    routers: deps.routers,
    health: ingressHealth(config, { client, journal, recipes, worker: deps.worker, outbox: deps.outbox }),
  });
  const server = createServer(app);
  await listen(server, config.port, config.host);
  answerMalformedRequests(server);
  cleanups.push(() => closeGracefully(server));
  const bound = boundTo(server.address() as AddressInfo);
  url = bound.url;
  return { dispatcher, url: bound.url, listening: bound.listening };
}

/** Prunes the request log every minute: finished requests past retention, refused ones past their per-source cap. */
function startPruner(journal: Journal, retentionMs: number, logger: Logger): NodeJS.Timeout {
  const timer = setInterval(() => {
    journal.prune(Date.now() - retentionMs).then(
      (n) => n > 0 && logger.info({ deleted: n }, 'pruned the request log'),
      (err: unknown) => logger.warn({ err: String(err) }, 'could not prune the request log'),
    );
  }, 60_000);
  timer.unref();
  return timer;
}
