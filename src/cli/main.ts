// The `hookflow` command line.
// Commands load what they need on demand: `validate` must not pay for the Temporal SDK.
import path from 'node:path';
import type { Roles } from '../app/hookflow.js';
import { loadConfig, loadDotEnv } from '../config.js';
import { isVerifyNone } from '../providers/verify-core.js';
import { UsageError, parseCommand } from './args.js';

const USAGE = `hookflow — webhooks in, durable automations out

usage:
  hookflow start [--dev]         ingress + worker (+ embedded Temporal dev server unless TEMPORAL_ADDRESS is set);
                                 --dev: email/SMS/push and http to hosts not allowed land in the console's outbox, unsent
  hookflow serve                 the ingress alone, against TEMPORAL_ADDRESS
  hookflow worker                the worker alone, against TEMPORAL_ADDRESS
  hookflow validate [dir]        check recipes and sources.yaml (file:line:col per problem)
  hookflow test [dir]            run the recipes' own tests (no side effects)
  hookflow send <source> <payload-file> [--header K:V] [--url U]
                                 sign the payload as the provider would and POST it to hookflow
  hookflow explain <source> <payload-file> [--header K:V]
                                 dry run: which recipes this event starts, and why the others do not
  hookflow requests [--source S] [--verdict V] [--since 1h] [--limit N] [--json]
                                 the request log of the running hookflow, newest first
  hookflow requests show <id> [--json]
                                 one request: headers, body, verdict and reason, recipes, runs
  hookflow replay --request <id> [--recipe R]
                                 run a recorded request's event through the recipes again
  hookflow replay --source S [--recipe R] [--since T] [--verdict V] [--failed] [--dry-run]
                                 bulk replay (--dry-run lists what would be replayed)
  hookflow replay <workflowId>   run a past run's event through its recipe again (new run id)
  hookflow ensure-temporal       find or build the Temporal CLI into .hookflow/bin

  hookflow <command> --help      the command's usage
`;

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function run(roles: Roles): Promise<void> {
  const config = loadConfig();
  if (!roles.ingress || !roles.worker) {
    if (!config.temporalAddress)
      throw new Error(
        `hookflow ${roles.ingress ? 'serve' : 'worker'} needs TEMPORAL_ADDRESS (e.g. 127.0.0.1:7233); use "hookflow start" for everything on one machine`,
      );
  }
  if (config.examplesInstead) {
    say(
      `no recipes in ${path.relative(process.cwd(), config.examplesInstead.wanted) || '.'}/: running the shipped examples from ${path.relative(process.cwd(), config.recipesDir)}/ (put your own recipes in recipes/, or set RECIPES_DIR, and they replace the examples)`,
    );
  }
  const started = Date.now();
  const { startHookflow } = await import('../app/hookflow.js');
  const hf = await startHookflow(config, { roles, say, hotReload: roles.ingress });
  const lines = [`hookflow is up in ${((Date.now() - started) / 1000).toFixed(1)} s — Temporal at ${hf.address}`];
  if (hf.url && hf.recipes) {
    const sources = hf.recipes.triggerSources();
    lines.push(`  ingress:      ${config.publicUrl} (listening on ${hf.listening ?? hf.url})`);
    lines.push(`  health:       ${config.publicUrl}/healthz`);
    lines.push('  trigger URLs:');
    for (const s of sources) {
      const src = hf.recipes.source(s);
      const unsigned = isVerifyNone(src?.verify);
      const note = !src
        ? '  (unknown source: declare it in sources.yaml)'
        : src.secrets.length === 0 && !unsigned
          ? `  (refuses requests until ${src.secretOrigin} is set)`
          : '';
      lines.push(`    ${config.publicUrl}/hooks/${s}${note}`);
    }
    if (sources.length === 0) lines.push(`    (no recipes yet: add one to ${config.recipesDir})`);
  }
  if (hf.worker) lines.push(`  worker:       polling task queue "${config.taskQueue}" in namespace "${config.namespace}"`);
  if (hf.uiUrl) lines.push(`  Temporal UI:  ${hf.uiUrl}/namespaces/${config.namespace}/workflows`);
  say(lines.join('\n'));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`\n${signal}: stopping (finishing in-flight requests and activities)…`);
    hf.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        say(`error while stopping: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

async function main(argv: string[]): Promise<number> {
  loadDotEnv();
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'start':
      // --dev: the development outbox (email, SMS, push and http to hosts not allowed are captured, not sent).
      if (parseCommand(rest, { dev: { type: 'boolean' } }, 'hookflow start [--dev]').values.dev) process.env.HOOKFLOW_OUTBOX = '1';
      await run({ ingress: true, worker: true });
      return -1;
    case 'serve':
      parseCommand(rest, {}, 'hookflow serve');
      await run({ ingress: true, worker: false });
      return -1;
    case 'worker':
      parseCommand(rest, {}, 'hookflow worker');
      await run({ ingress: false, worker: true });
      return -1;
    case 'validate': {
      const [given] = parseCommand(rest, {}, 'hookflow validate [dir]', 1).positionals;
      const { formatProblem, loadRecipes } = await import('../recipes/load.js');
      const dir = path.resolve(given ?? loadConfig().recipesDir);
      const { missingSettings } = await import('../app/preflight.js');
      const { recipes, problems } = loadRecipes(dir, process.env);
      for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
      if (problems.length) {
        say(`${problems.length} problem(s) in ${dir}`);
        return 1;
      }
      // Valid recipes that this environment cannot run yet: said, not failed (CI checks recipes without the production secrets).
      const warnings = missingSettings(recipes, process.env);
      for (const w of warnings) process.stdout.write(`warning: ${w}\n`);
      say(
        `${recipes.length} recipe(s) in ${dir}: all valid${warnings.length ? `; ${warnings.length} setting(s) missing in this environment (warnings above)` : ''}`,
      );
      return 0;
    }
    case 'test': {
      const [given] = parseCommand(rest, {}, 'hookflow test [dir]', 1).positionals;
      return (await import('./commands.js')).testCommand(path.resolve(given ?? loadConfig().recipesDir), process.env, (l) => process.stdout.write(`${l}\n`));
    }
    case 'explain':
      return (await import('./commands.js')).explainCommand(loadConfig(), rest, (l) => process.stdout.write(`${l}\n`));
    case 'send':
      return (await import('./commands.js')).sendCommand(loadConfig(), rest, (l) => process.stdout.write(`${l}\n`));
    case 'requests':
      return (await import('./requests.js')).requestsCommand(loadConfig(), rest, (l) => process.stdout.write(`${l}\n`));
    case 'replay':
      return (await import('./requests.js')).replayRequestsCommand(loadConfig(), rest, (l) => process.stdout.write(`${l}\n`));
    case 'ensure-temporal': {
      parseCommand(rest, {}, 'hookflow ensure-temporal');
      const { ensureTemporalCli, cliVersion } = await import('../temporal/cli-binary.js');
      const found = await ensureTemporalCli({ home: process.cwd(), log: say });
      if (!found) {
        say('no Temporal CLI found and Go is not installed to build one; the SDK will try to download it (needs internet)');
        return 0;
      }
      say(`Temporal CLI: ${found.path} (${found.source}) — ${cliVersion(found.path)}`);
      return 0;
    }
    case undefined:
      process.stderr.write(USAGE);
      return 1;
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      say(`unknown command "${cmd}"\n\n${USAGE}`);
      return 1;
  }
}

// Output piped into `head` (or a closed pager): the reader is gone, so stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    // exitCode, not exit(): stdout to a pipe is written asynchronously and must drain first.
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError && err.exitCode === 0) {
      process.stdout.write(`${err.message}\n`);
      return;
    }
    if (err instanceof Error && (err.name === 'RecipeLoadError' || err.name === 'StartupError' || err.name === 'UsageError')) say(err.message);
    else say(`hookflow: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
