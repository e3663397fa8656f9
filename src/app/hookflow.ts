// Assembles hookflow's processes: embedded dev server (optional), worker, ingress. Used by
// `hookflow start|serve|worker` and, in-process, by the integration tests. Each part lives in its
// own module here; startHookflow is the start-up sequence, and stops what started if a step fails.
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import { Outbox, OUTBOX_ENV, outboxEnabled } from '../activities/outbox.js';
import type { Config } from '../config.js';
import type { Dispatcher } from '../intake/dispatcher.js';
import type { Journal } from '../intake/journal.js';
import { redactUrl } from '../intake/open-journal.js';
import { createLogger, type Logger } from '../log.js';
import { Metrics } from '../metrics.js';
import type { RecipeSet } from '../recipes/recipe-set.js';
import type { HookflowClient } from '../temporal/client.js';
import { codecFromEnv } from '../temporal/codec.js';
import type { DevServer } from '../temporal/dev-server.js';
import { parseOutboundRates } from '../core/outbound-rates.js';
import { codecEndpoint } from './codec-endpoint.js';
import { connectTemporal } from './connections.js';
import { devServerPorts, startEmbeddedTemporal } from './dev-server.js';
import { startIngressRole } from './ingress-role.js';
import { sharedJournal } from './journal.js';
import { checkPorts } from './preflight.js';
import { loadRecipes, type LoadedRecipes } from './recipes.js';
import { keepSchedules } from './schedules.js';
import { CleanupStack } from './shutdown.js';
import { serveWorkerMetrics } from './worker-metrics.js';

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
  const { roles } = opts;
  const logger = opts.logger ?? createLogger(config.env);
  const say = opts.say ?? (() => {});
  const metrics = opts.metrics ?? new Metrics();
  // The worker's modules (the Temporal native core, the activities' SDKs) are loaded by a process
  // with the worker role only: `hookflow serve` starts without them (docs/BENCHMARKS.md, start-up).
  const workerModules = roles.worker ? await loadWorkerModules(logger) : undefined;
  // Parsed first, so bad HOOKFLOW_CODEC_KEYS fail before anything starts.
  const codec = codecFromEnv(config.env);
  const dataConverter = codec ? { payloadCodecs: [codec] } : undefined;
  const cleanups = new CleanupStack(logger);
  const stop = (): Promise<void> => cleanups.stop();

  const outbox = developmentOutbox(config, logger);
  try {
    const loaded: LoadedRecipes | undefined = roles.ingress
      ? loadRecipes(config, { hotReload: !!opts.hotReload, outbox: !!outbox, say, logger, cleanups })
      : undefined;

    // Every port this process needs, checked before anything starts.
    const devPorts = devServerPorts(config, opts);
    await checkPorts({
      ...(roles.ingress ? { ingress: { port: config.port, ...(config.host ? { host: config.host } : {}) } } : {}),
      ...(!config.temporalAddress ? { devServer: devPorts } : {}),
    });
    let address = config.temporalAddress;
    let devServer: DevServer | undefined;
    if (!address) {
      devServer = await startEmbeddedTemporal(config, devPorts, say, cleanups);
      address = devServer.address;
    }

    const outboundRates = parseOutboundRates(config.env['HOOKFLOW_OUTBOUND_RATE']);
    const { connection, client } = await connectTemporal(config, { address, roles, dataConverter, outboundRates, cleanups });
    if (loaded) await keepSchedules(client, loaded, config.taskQueue, logger);

    // The journal closes after the dispatcher and the worker that use it (registered before them).
    const openJournal = sharedJournal(config, cleanups);
    const journal = roles.ingress ? await openJournal() : undefined;
    if (journal) say(`intake journal: ${redactUrl(journal.location)} (${config.intake} intake)`);

    const worker =
      connection && workerModules
        ? await workerModules.startWorkerRole({
            config,
            connection,
            dataConverter,
            outboundRates,
            outbox,
            journal: openJournal,
            metrics,
            logger,
            say,
            cleanups,
          })
        : undefined;

    const ingress =
      loaded && journal
        ? await startIngressRole({
            config,
            loaded,
            journal,
            client,
            worker,
            temporalUiUrl: config.temporalUiUrl ?? devServer?.uiUrl,
            outbox,
            routers: codec ? [codecEndpoint(codec, config.env)] : [],
            metrics,
            logger,
            cleanups,
          })
        : undefined;

    if (roles.worker && !roles.ingress && config.env.METRICS_PORT) {
      await serveWorkerMetrics(config, Number(config.env.METRICS_PORT), { worker, metrics, say, cleanups });
    }

    return {
      config,
      address,
      url: ingress?.url,
      listening: ingress?.listening,
      uiUrl: devServer?.uiUrl,
      recipes: loaded?.recipes,
      client,
      journal,
      dispatcher: ingress?.dispatcher,
      worker,
      devServer,
      metrics,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function loadWorkerModules(logger: Logger): Promise<{ startWorkerRole: typeof import('./worker-role.js').startWorkerRole }> {
  const [{ installTemporalRuntime }, { startWorkerRole }] = await Promise.all([import('../temporal/runtime.js'), import('./worker-role.js')]);
  installTemporalRuntime(logger);
  return { startWorkerRole };
}

/** The development outbox (HOOKFLOW_OUTBOX=1 / --dev), said loudly when it is on: it captures what would be sent. */
function developmentOutbox(config: Config, logger: Logger): Outbox | undefined {
  if (!outboxEnabled(config.env)) return undefined;
  const outbox = new Outbox(config.home, config.env.HOOKFLOW_OUTBOX_FILE);
  const line = `DEVELOPMENT OUTBOX ON (${OUTBOX_ENV}=1 / --dev): email, SMS, push and http steps to hosts not in HOOKFLOW_OUTBOUND_ALLOW are captured in ${path.relative(process.cwd(), outbox.file) || outbox.file} and shown in the console, NOT sent. Never use this in production.`;
  logger.warn({ outbox: outbox.file }, line);
  return outbox;
}
