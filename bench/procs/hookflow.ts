// A hookflow process for the benches, configured by environment:
//   BENCH_MODE=noop   the ingress with a starter that does nothing (the ingress's own ceiling)
//   BENCH_MODE=serve  the ingress with durable starts (= `hookflow serve`)
//   BENCH_MODE=start  ingress + worker in one process (= `hookflow start` against TEMPORAL_ADDRESS)
//   BENCH_MODE=worker the worker alone (= `hookflow worker`)
//   BENCH_TUNING      JSON of worker options (maxCachedWorkflows, reuseV8Context, …) for experiments
//   BENCH_BUNDLE      a workflow bundle file to use instead of the cached one (experiments)
// Prints "BENCH READY listening on <url>" to stderr; with BENCH_MEM_INTERVAL_MS, "BENCH MEM <json>" lines.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { NativeConnection, type Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { createJournalActivities } from '../../src/activities/journal.js';
import { startHookflow } from '../../src/app/hookflow.js';
import { loadConfig } from '../../src/config.js';
import { createIngress } from '../../src/ingress/app.js';
import { Dispatcher } from '../../src/intake/dispatcher.js';
import { Intake } from '../../src/intake/intake.js';
import { openJournal } from '../../src/intake/open-journal.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { RecipeSet } from '../../src/recipes/recipe-set.js';
import { createWorker, wrapActivities, type HookflowWorkerOptions } from '../../src/temporal/worker.js';
import { installTemporalRuntime } from '../../src/temporal/runtime.js';

const mode = process.env.BENCH_MODE ?? 'serve';
const config = loadConfig(process.env);
const logger = createLogger(config.env);
const tuning = JSON.parse(process.env.BENCH_TUNING ?? '{}') as HookflowWorkerOptions['tuning'] & Partial<WorkerOptions>;
// createWorker spreads `tuning` last, so a bundle given here replaces the cached one.
if (process.env.BENCH_BUNDLE) Object.assign(tuning, { workflowBundle: { code: readFileSync(process.env.BENCH_BUNDLE, 'utf8') } });
const stops: Array<() => Promise<void>> = [];

async function listen(app: ReturnType<typeof createIngress>): Promise<string> {
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  stops.push(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

let opened: ReturnType<typeof openJournal> | undefined;
const waitJournal = (): ReturnType<typeof openJournal> => (opened ??= openJournal(config.journalUrl, config.home, `${config.namespace}/${config.taskQueue}`));

async function main(): Promise<void> {
  let url: string | undefined;
  let worker: Worker | undefined;
  if (mode === 'noop') {
    installTemporalRuntime(logger);
    const recipes = RecipeSet.load(config.recipesDir, config.env);
    // The journal is real (durable accepts); the dispatcher "starts" runs without Temporal.
    const journal = await openJournal(config.journalUrl, config.home, `${config.namespace}/${config.taskQueue}`);
    const dispatcher = new Dispatcher({ journal, starter: { startRun: async () => ({ duplicate: false }) }, classify: () => 'retry', logger });
    dispatcher.start();
    stops.push(async () => {
      await dispatcher.stop();
      await journal.close();
    });
    const intake = new Intake({ journal, dispatcher, mode: config.intake, maxPending: config.maxPending, logger });
    url = await listen(createIngress({ recipes, intake, publicUrl: config.publicUrl, logger, metrics: new Metrics(), health: async () => ({ ok: true }) }));
  } else {
    const roles = { ingress: mode !== 'worker', worker: false };
    const hf = await startHookflow(config, { roles, logger });
    stops.push(() => hf.stop());
    if (mode === 'start' || mode === 'worker') {
      const connection = await NativeConnection.connect({ address: hf.address });
      stops.push(() => connection.close());
      worker = await createWorker({
        connection,
        namespace: config.namespace,
        taskQueue: config.taskQueue,
        activities: { ...wrapActivities(createActivities({ env: config.env, logger }), hf.metrics), ...createJournalActivities(waitJournal) },
        home: config.home,
        tuning,
      });
      const running = worker.run();
      stops.unshift(async () => {
        worker!.shutdown();
        await running.catch(() => {});
      });
    }
    url ??= hf.url;
  }
  // Memory is reported on a timer, not on a signal: a SIGUSR2 handler here stalled the worker's polling.
  const memEvery = Number(process.env.BENCH_MEM_INTERVAL_MS ?? 0);
  if (memEvery > 0) {
    setInterval(() => {
      const m = process.memoryUsage();
      process.stderr.write(`BENCH MEM ${JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external })}\n`);
    }, memEvery).unref();
  }
  const stop = async (): Promise<void> => {
    for (const s of stops.splice(0)) await s().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.stderr.write(`BENCH READY${url ? ` listening on ${url}` : ''}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench process failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
