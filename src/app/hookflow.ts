// Assembles hookflow's processes: embedded dev server (optional), worker, ingress. Used by
// `hookflow start|serve|worker` and, in-process, by the integration tests.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { Outbox, OUTBOX_ENV, outboxEnabled, withOutbox } from '../activities/outbox.js';
import { createJournalActivities } from '../activities/journal.js';
import type { Config } from '../config.js';
import { adminAccess } from '../ingress/admin-access.js';
import { runWorkflowId } from '../core/runtime-contract.js';
import { createIngress } from '../ingress/app.js';
import { createLogger, type Logger } from '../log.js';
import { Metrics } from '../metrics.js';
import { RecipeSet } from '../recipes/recipe-set.js';
import { formatProblem } from '../recipes/load.js';
import { codecEndpoint } from './codec-endpoint.js';
import { checkPorts, missingSettings, portSetting, TEMPORAL_PORT_ENV, TEMPORAL_UI_PORT_ENV } from './preflight.js';
import { Dispatcher } from '../intake/dispatcher.js';
import { Intake } from '../intake/intake.js';
import { Replayer } from '../intake/replay.js';
import { Responder } from '../intake/respond.js';
import { requestsApi } from '../api/requests.js';
import { consoleApi } from '../api/console.js';
import { consoleLogin, consolePage } from '../console/serve.js';
import type { Journal } from '../intake/journal.js';
import { openJournal, redactUrl } from '../intake/open-journal.js';
import { HookflowClient, TemporalRefusedError } from '../temporal/client.js';
import { startDevServer, type DevServer } from '../temporal/dev-server.js';
import { ScheduleKeeper } from '../schedules/keeper.js';
import { codecFromEnv } from '../temporal/codec.js';
import { installTemporalRuntime } from '../temporal/runtime.js';
import { createWorker, wrapActivities } from '../temporal/worker.js';
import { createRateWorkers, parseOutboundRates } from '../temporal/outbound-rates.js';

export interface Roles {
  ingress: boolean;
  worker: boolean;
}

export interface Hookflow {
  config: Config;
  address: string;
  /** Base URL of the ingress when it runs (port 0 → the one chosen), reachable from this machine. */
  url?: string;
  /** What the ingress is really bound to, for the banner: `all interfaces, port 3000` or `http://127.0.0.1:3000`. */
  listening?: string;
  uiUrl?: string;
  recipes?: RecipeSet;
  client?: HookflowClient;
  journal?: Journal;
  dispatcher?: Dispatcher;
  worker?: Worker;
  devServer?: DevServer;
  metrics: Metrics;
  stop(): Promise<void>;
}

export interface StartOptions {
  roles: Roles;
  logger?: Logger;
  /** Print progress lines for a person (npm start). */
  say?: (line: string) => void;
  /** Embedded dev server ports (defaults 7233 / 8233). */
  devServerPort?: number;
  uiPort?: number;
  hotReload?: boolean;
  metrics?: Metrics;
}

export async function startHookflow(config: Config, opts: StartOptions): Promise<Hookflow> {
  const logger = opts.logger ?? createLogger(config.env);
  const say = opts.say ?? (() => {});
  const metrics = opts.metrics ?? new Metrics();
  installTemporalRuntime(logger);
  // Parsed first, so bad HOOKFLOW_CODEC_KEYS fail before anything starts.
  const codec = codecFromEnv(config.env);
  const dataConverter = codec ? { payloadCodecs: [codec] } : undefined;
  const cleanups: Array<() => Promise<void> | void> = [];
  const stop = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) {
      // Each part gets a bounded time (the worker's grace for activities is 30 s), so an
      // unreachable Temporal server cannot keep the process from exiting.
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(c),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timed out after 40 s')), 40_000);
          }),
        ]);
      } catch (err) {
        logger.warn({ err }, 'error while stopping');
      } finally {
        clearTimeout(timer);
      }
    }
  };

  /** Work that follows every good reload (schedules), registered once its parts exist. */
  const afterReload: Array<() => void> = [];
  /** Settings the loaded recipes need and the environment lacks (said at start and after each reload). */
  let warnings: string[] = [];
  const outbox = outboxEnabled(config.env) ? new Outbox(config.home, config.env.HOOKFLOW_OUTBOX_FILE) : undefined;
  if (outbox) {
    const line = `DEVELOPMENT OUTBOX ON (${OUTBOX_ENV}=1 / --dev): email, SMS, push and http steps to hosts not in HOOKFLOW_OUTBOUND_ALLOW are captured in ${path.relative(process.cwd(), outbox.file) || outbox.file} and shown in the console, NOT sent. Never use this in production.`;
    say(`⚠ ${line}`);
    logger.warn({ outbox: outbox.file }, line);
  }
  try {
    let recipes: RecipeSet | undefined;
    if (opts.roles.ingress) {
      recipes = RecipeSet.load(config.recipesDir, config.env);
      say(`loaded ${recipes.current.recipes.length} recipe(s) from ${path.relative(process.cwd(), config.recipesDir) || '.'}`);
      warnings = missingSettings(recipes.current.recipes, config.env, { outbox: !!outbox });
      for (const w of warnings) {
        say(`⚠ ${w}`);
        logger.warn({ warning: w }, 'a setting the recipes need is missing');
      }
      if (opts.hotReload) {
        const loaded = recipes;
        let known = triggerSources(loaded);
        const envAtStart = dotEnvText(config.home);
        recipes.watch((r) => {
          if (r.ok) {
            logger.info({ recipes: loaded.current.recipes.length }, 'recipes reloaded');
            say(`recipes reloaded: ${loaded.current.recipes.length} recipe(s)`);
            const now = triggerSources(loaded);
            for (const s of now) if (!known.includes(s)) say(`  new trigger URL: ${config.publicUrl}/hooks/${s}`);
            known = now;
            warnings = missingSettings(loaded.current.recipes, config.env, { outbox: !!outbox });
            for (const w of warnings) say(`⚠ ${w}`);
            if (dotEnvText(config.home) !== envAtStart) say('⚠ .env changed since hookflow started: settings are read once, at start — restart hookflow to apply them');
            for (const fn of afterReload) fn();
          } else {
            logger.error({ problems: r.problems }, 'recipes changed but do not load; keeping the last good set');
            say(`recipes changed but do not load; keeping the last good set:\n${r.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
          }
        });
        cleanups.push(() => recipes!.close());
      }
    }

    let address = config.temporalAddress;
    const devPorts = { port: opts.devServerPort ?? portSetting(config.env, TEMPORAL_PORT_ENV, 7233), uiPort: opts.uiPort ?? portSetting(config.env, TEMPORAL_UI_PORT_ENV, 8233) };
    // Every port this process needs, checked before anything starts.
    await checkPorts({
      ...(opts.roles.ingress ? { ingress: { port: config.port, ...(config.host ? { host: config.host } : {}) } } : {}),
      ...(!address ? { devServer: devPorts } : {}),
    });
    let devServer: DevServer | undefined;
    if (!address) {
      say(`starting the embedded Temporal dev server on 127.0.0.1:${devPorts.port} (state in .hookflow/temporal.db)…`);
      devServer = await startDevServer({
        home: config.home,
        dbFile: path.join(config.home, '.hookflow', 'temporal.db'),
        port: devPorts.port,
        uiPort: devPorts.uiPort,
        namespace: config.namespace,
        env: config.env,
        log: say,
      });
      cleanups.push(() => devServer!.stop());
      address = devServer.address;
    }

    // The worker's connection comes first: with both roles in one process the ingress starts runs
    // through it with eager workflow start (the first workflow task comes back with the start).
    const connection = opts.roles.worker ? await NativeConnection.connect({ address }) : undefined;
    if (connection) cleanups.push(() => connection.close());
    const outboundRates = parseOutboundRates(config.env['HOOKFLOW_OUTBOUND_RATE']);
    const client = await HookflowClient.connect({
      address,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      dataConverter,
      callTimeoutMs: config.startTimeoutMs,
      ...(outboundRates.length > 0 ? { limitedHosts: outboundRates.map((r) => r.host) } : {}),
      ...(connection && opts.roles.ingress ? { workerConnection: connection } : {}),
    });
    cleanups.push(() => client.close());
    await client.ensureSearchAttributes();

    // Schedule recipes ↔ Temporal Schedules, now and after every reload.
    if (recipes) {
      const keeper = new ScheduleKeeper(client.client, config.taskQueue, logger);
      const loaded = recipes;
      const reconcile = (): Promise<void> =>
        keeper.reconcile(loaded.current.recipes).then(
          (r) => {
            for (const f of r.failed) logger.error({ recipe: f.recipe, err: f.error }, 'could not keep the schedule of a recipe');
          },
          (err: unknown) => logger.error({ err: String(err) }, 'could not reconcile the schedules with the recipes'),
        );
      await reconcile();
      afterReload.push(() => void reconcile());
    }

    // The intake journal outlives the dispatcher and the worker in shutdown (pushed before them).
    // A worker alone opens it on its first wait_for.
    let journal: Journal | undefined;
    let opening: Promise<Journal> | undefined;
    const journalForWaits = (): Promise<Journal> => {
      opening ??= journal ? Promise.resolve(journal) : openJournal(config.journalUrl, config.home, `${config.namespace}/${config.taskQueue}`);
      return opening;
    };
    cleanups.push(async () => {
      if (opening) await (await opening.catch(() => undefined))?.close();
    });
    if (opts.roles.ingress) {
      journal = await journalForWaits();
      say(`intake journal: ${redactUrl(journal.location)} (${config.intake} intake)`);
    }

    let worker: Worker | undefined;
    if (connection) {
      const raw = createActivities({ env: config.env, logger });
      const outbound = wrapActivities(outbox ? withOutbox(raw, outbox, config.env) : raw, metrics, logger);
      worker = await createWorker({
        connection,
        namespace: config.namespace,
        taskQueue: config.taskQueue,
        activities: { ...outbound, ...createJournalActivities(journalForWaits) },
        home: config.home,
        dataConverter,
      });
      // HOOKFLOW_OUTBOUND_RATE: a rate-limited worker per host, beside the main one.
      for (const rw of await createRateWorkers({ connection, namespace: config.namespace, taskQueue: config.taskQueue, rates: outboundRates, activities: outbound, ...(dataConverter ? { dataConverter } : {}) })) {
        const running = rw.run();
        running.catch((err: unknown) => logger.error({ err }, 'a rate-limited outbound worker stopped with an error'));
        cleanups.push(async () => {
          if (rw.getState() === 'RUNNING') rw.shutdown();
          await running.catch(() => {});
        });
      }
      if (outboundRates.length > 0) say(`outbound rate limits: ${outboundRates.map((r) => `${r.host} ${r.text}`).join(', ')}`);
      const w = worker;
      const running = w.run();
      running.catch((err: unknown) => logger.error({ err }, 'worker stopped with an error'));
      cleanups.push(async () => {
        if (w.getState() === 'RUNNING') w.shutdown();
        await running.catch(() => {});
      });
    }

    let url: string | undefined;
    let dispatcher: Dispatcher | undefined;
    let listening: string | undefined;
    if (opts.roles.ingress && recipes && journal) {
      const localWorker = worker;
      const j = journal;
      const d = new Dispatcher({
        journal: j,
        starter: client,
        waker: client,
        matcher: (event) => recipes!.current.index.match(event).map((recipe) => ({ recipe, workflowId: runWorkflowId(recipe.name, event.source, event.id) })),
        classify: (err) => (err instanceof TemporalRefusedError ? 'refused' : 'retry'),
        logger,
        metrics,
      });
      dispatcher = d;
      d.start();
      cleanups.push(() => d.stop({ drainMs: 10_000 }));
      const pruner = startPruner(j, config.retentionMs, logger);
      cleanups.push(() => clearInterval(pruner));
      metrics.watchIntake({ stats: () => j.stats(), concurrency: () => d.concurrency });
      const intake = new Intake({ journal: j, dispatcher: d, mode: config.intake, maxPending: config.maxPending, logger, metrics });
      const loadedRecipes = recipes;
      const replayer = new Replayer(intake, recipes, (source, since) => client.failedRuns(source, since));
      const api = express.Router();
      const guard = adminAccess(config.env, { consoleCookie: true });
      const temporalUiUrl = config.temporalUiUrl ?? devServer?.uiUrl;
      api.use(guard);
      api.use(
        '/console',
        consoleApi({
          journal: j,
          recipes,
          publicUrl: config.publicUrl,
          selfUrl: () => url,
          namespace: config.namespace,
          ...(temporalUiUrl ? { temporalUiUrl } : {}),
          temporalProblem: () => client.unhealthyReason(),
          warnings: () => warnings,
          ...(outbox ? { outbox } : {}),
        }),
      );
      api.use(requestsApi({
        journal: j,
        replayer,
        recipes,
        namespace: config.namespace,
        concurrency: () => d.concurrency,
        ...((config.temporalUiUrl ?? devServer?.uiUrl) ? { temporalUiUrl: config.temporalUiUrl ?? devServer?.uiUrl } : {}),
      }));
      const app = createIngress({
        recipes,
        intake,
        api,
        console: express.Router().use(consoleLogin(config.env), guard, consolePage()),
        responder: new Responder(client, j, logger),
        publicUrl: config.publicUrl,
        logger,
        metrics,
        env: config.env,
        routers: codec ? [codecEndpoint(codec, config.env)] : [],
        health: async () => {
          const [temporal, stats] = await Promise.all([client.unhealthyReason(), j.stats().catch((err: unknown) => err as Error)]);
          const workerState = localWorker?.getState();
          const report = {
            recipes: loadedRecipes.current.recipes.length,
            intake: config.intake,
            journal: stats instanceof Error ? { kind: j.kind, error: stats.message } : { kind: j.kind, pending: stats.pending, oldest_pending_ms: stats.oldestPendingMs, failed: stats.failed, max_pending: config.maxPending },
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
        },
      });
      const server: Server = await new Promise((resolve, reject) => {
        const s = config.host ? app.listen(config.port, config.host, () => resolve(s)) : app.listen(config.port, () => resolve(s));
        s.once('error', reject);
      });
      // Requests Node's HTTP parser refuses before express sees them (431 header block too large, 400
      // malformed) still get the JSON error shape of every other refusal.
      server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
        if (!socket.writable) return socket.destroy();
        const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
        const status = tooLarge ? 431 : 400;
        const body = JSON.stringify({ error: { code: tooLarge ? 'headers_too_large' : 'bad_request', message: tooLarge ? 'the request headers are too large (16 KiB at most)' : `malformed HTTP request: ${err.code ?? err.message}` } });
        socket.end(`HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      });
      cleanups.push(() => closeGracefully(server));
      ({ url, listening } = boundTo(server.address() as AddressInfo));
    }

    if (opts.roles.worker && !opts.roles.ingress && config.env.METRICS_PORT) {
      // A worker alone has no ingress: it serves its own /metrics and /healthz when asked to.
      const w = worker;
      const metricsAccess = adminAccess(config.env);
      const server = createServer((req, res) => {
        if (req.url?.split('?')[0] === '/metrics') {
          metricsAccess(req, res, () => void metrics.scrape().then((m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body)));
        } else if (req.url === '/healthz') {
          const state = w?.getState() ?? 'absent';
          res.writeHead(state === 'RUNNING' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: state === 'RUNNING', worker: state }));
        } else {
          res.writeHead(404).end();
        }
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        if (config.host) server.listen(Number(config.env.METRICS_PORT), config.host, () => resolve());
        else server.listen(Number(config.env.METRICS_PORT), () => resolve());
      });
      say(`  worker metrics: ${boundTo(server.address() as AddressInfo).url}/metrics (listening on ${boundTo(server.address() as AddressInfo).listening})`);
      cleanups.push(() => closeGracefully(server));
    }

    return { config, address, url, listening, uiUrl: devServer?.uiUrl, recipes, client, journal, dispatcher, worker, devServer, metrics, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The sources the recipes listen to that have a trigger URL. */
function triggerSources(recipes: RecipeSet): string[] {
  return [...new Set(recipes.current.recipes.map((r) => r.on.source))].filter((s) => s !== 'hookflow' && s !== 'schedule').sort();
}

/** The text of `.env` in the working directory ('' when there is none). */
function dotEnvText(home: string): string {
  try {
    return readFileSync(path.join(home, '.env'), 'utf8');
  } catch {
    return '';
  }
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

/**
 * The address a server really listens on, said plainly, and a URL this machine can call it at:
 * `::`/`0.0.0.0` are every interface (reached here through loopback).
 */
export function boundTo(a: AddressInfo): { url: string; listening: string } {
  const wildcard = a.address === '::' || a.address === '0.0.0.0';
  const host = a.family === 'IPv6' || a.address.includes(':') ? `[${a.address}]` : a.address;
  if (wildcard) return { url: `http://127.0.0.1:${a.port}`, listening: `all interfaces, port ${a.port} (set HOST to choose one)` };
  return { url: `http://${host}:${a.port}`, listening: `http://${host}:${a.port}` };
}

/**
 * Stops taking connections, lets requests in flight finish, and closes keep-alive connections as
 * soon as they are idle (instead of waiting out the keep-alive timeout).
 */
function closeGracefully(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    // Express may have answered synchronously already (a 404, a refusal): only an open answer can still say it.
    server.on('request', (_req, res) => {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    });
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}
