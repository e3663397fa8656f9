// hookflow side by side with its peers and with Temporal's own floor, in ONE invocation, on the
// same job: webhook POST → keep `type == "ping"` → POST the event's id to a loopback sink.
//
//   npx tsx bench/side-by-side.ts                         peers scenario, all systems, 3 rounds
//   npm run bench -- --only peers [options]               the same, through bench/run.ts
//   npx tsx bench/side-by-side.ts --scenario burst --repeats 1 --env HOOKFLOW_INTAKE=journal
//
// Scenarios (--scenario a,b):
//   peers   --connections 20 for --seconds 10 per trial, systems interleaved round-robin,
//           --repeats rounds (median reported); default systems: all five
//   burst   --burst 2000 webhooks with --in-flight 400; default system: hookflow
//   steady  open loop at --rate 10/s for --rate-seconds 30; default system: hookflow
// Options: --systems nodered,n8n,hookflow,floor-regular,floor-local  --temporal dev|postgres
//   --env K=V (repeatable; passed to hookflow)  --peers-dir /work/peers  --drain-seconds 60
//   --timeout-seconds 10 (a webhook unanswered by then counts as a timeout)  --warmup-seconds 3
//   --report <json>  prints the tables of a saved run again
// Every accepted webhook is waited for at its sink (up to --drain-seconds); the rate that counts is
// unique ids delivered per second, timed until the last one arrived. Raw trials go to
// .hookflow/bench/side-by-side-<time>.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, sleep } from './lib/basics.js';
import { loadAvg } from './lib/proc-stats.js';
import { openLoop } from './lib/load.js';
import { burst, closedLoop, type LoadRun } from './side-by-side/load.js';
import { burstTable, peersTable, ratioTable, steadyTable } from './side-by-side/report.js';
import { startSystem, SYSTEMS, type System, type SystemName } from './side-by-side/systems.js';
import { startEmbeddedDevServer, startPostgresTemporal, type TemporalUnderTest } from './side-by-side/temporal.js';
import { measure, type Trial } from './side-by-side/trial.js';

const SCENARIOS = ['peers', 'burst', 'steady'] as const;
type Scenario = (typeof SCENARIOS)[number];

function listOf<T extends string>(what: string, raw: string, known: readonly T[]): T[] {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of items) if (!known.includes(s as T)) throw new Error(`unknown ${what} "${s}"; known: ${known.join(', ')}`);
  return items as T[];
}

function positive(name: string, raw: string | undefined): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} ${raw}: a positive number is needed`);
  return n;
}

function envPairs(raw: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of raw) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`--env ${kv}: write it as NAME=value`);
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', default: 'peers' },
      systems: { type: 'string' },
      repeats: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '20' },
      temporal: { type: 'string', default: 'dev' },
      env: { type: 'string', multiple: true, default: [] },
      'peers-dir': { type: 'string', default: process.env.BENCH_PEERS_DIR ?? '/work/peers' },
      burst: { type: 'string', default: '2000' },
      'in-flight': { type: 'string', default: '400' },
      rate: { type: 'string', default: '10' },
      'rate-seconds': { type: 'string', default: '30' },
      'drain-seconds': { type: 'string', default: '60' },
      'timeout-seconds': { type: 'string', default: '10' },
      'warmup-seconds': { type: 'string', default: '3' },
      report: { type: 'string' },
    },
  });
  if (values.report) return printTables(JSON.parse(readFileSync(values.report, 'utf8')) as Partial<Record<Scenario, Trial[]>>, (l) => console.log(l));
  const scenarios = listOf('scenario', values.scenario!, SCENARIOS);
  const explicit = values.systems ? listOf('system', values.systems, SYSTEMS) : undefined;
  const systemsFor = (s: Scenario): SystemName[] => explicit ?? (s === 'peers' ? [...SYSTEMS] : ['hookflow']);
  if (!['dev', 'postgres'].includes(values.temporal!)) throw new Error(`--temporal ${values.temporal}: use dev or postgres`);
  const o = {
    repeats: positive('repeats', values.repeats),
    seconds: positive('seconds', values.seconds),
    connections: positive('connections', values.connections),
    burst: positive('burst', values.burst),
    inFlight: positive('in-flight', values['in-flight']),
    rate: positive('rate', values.rate),
    rateSeconds: positive('rate-seconds', values['rate-seconds']),
    drainMs: positive('drain-seconds', values['drain-seconds']) * 1000,
    timeoutMs: positive('timeout-seconds', values['timeout-seconds']) * 1000,
    warmupS: Number(values['warmup-seconds']),
    hookflowEnv: envPairs(values.env!),
  };
  const log = (l: string): void => console.error(l);
  const out = (l = ''): void => console.log(l);
  const needed = [...new Set(scenarios.flatMap(systemsFor))];
  const results: Record<string, unknown> = { at: new Date().toISOString(), argv, options: o, loadAtStart: loadAvg() };

  let temporal: TemporalUnderTest | undefined;
  const running = new Map<SystemName, System>();
  const loadSamples: number[] = [];
  const sampler = setInterval(() => loadSamples.push(loadAvg()), 5000);
  try {
    if (needed.some((s) => s === 'hookflow' || s.startsWith('floor'))) {
      temporal = values.temporal === 'postgres' ? await startPostgresTemporal(log) : await startEmbeddedDevServer(log);
      results.temporal = temporal.label;
    }
    for (const name of needed) {
      log(`starting ${name}…`);
      const s = await startSystem(name, { peersDir: values['peers-dir']!, temporal, hookflowEnv: o.hookflowEnv, log });
      running.set(name, s);
      if (o.warmupS > 0)
        await measure(s, () => closedLoop(s.url, o.connections, o.warmupS * 1000, `warm-${name}-${Date.now().toString(36)}`, o.timeoutMs), o.drainMs);
    }
    const env = Object.entries(o.hookflowEnv)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    out(
      `# hookflow side by side — ${new Date().toISOString()}; Temporal: ${temporal?.label ?? 'none'}${env ? `; hookflow env ${env}` : ''}; load average ${loadAvg()} at start`,
    );

    /** `repeats` rounds over the systems; each round starts one system later, so none always follows the same one. */
    const rounds = async (scenario: Scenario, load: (s: System, idPrefix: string) => Promise<LoadRun>): Promise<void> => {
      const names = systemsFor(scenario);
      const trials: Trial[] = [];
      for (let r = 0; r < o.repeats; r++) {
        for (const name of names.map((_, i) => names[(i + r) % names.length]!)) {
          const s = running.get(name)!;
          const t = await measure(s, () => load(s, `${scenario}-${name}-r${r}-${Date.now().toString(36)}`), o.drainMs);
          trials.push(t);
          log(
            `  ${scenario} ${r + 1} ${name}: ${t.delivered}/${t.sent} delivered, ${t.deliveredPerS.toFixed(1)}/s; ${t.ackPerS.toFixed(1)} 2xx/s; e2e p50 ${t.e2eP50} ms; never arrived ${t.missing}; load ${t.loadAvg}`,
          );
          await sleep(1000);
        }
      }
      results[scenario] = trials;
    };

    if (scenarios.includes('peers')) await rounds('peers', (s, id) => closedLoop(s.url, o.connections, o.seconds * 1000, id, o.timeoutMs));
    if (scenarios.includes('burst')) await rounds('burst', (s, id) => burst(s.url, o.burst, o.inFlight, id, o.timeoutMs));
    if (scenarios.includes('steady')) {
      await rounds('steady', async (s, id) => {
        const startedAt = Date.now();
        const { sent } = await openLoop({ url: s.url, rate: o.rate, durationMs: o.rateSeconds * 1000, idPrefix: id });
        return { sent, startedAt, endedAt: Math.max(startedAt, ...sent.map((e) => e.answeredAt)) };
      });
    }
    printTables(results as Partial<Record<Scenario, Trial[]>>, out);
  } finally {
    clearInterval(sampler);
    for (const s of running.values()) await s.stop().catch((err: unknown) => log(`stopping ${s.name}: ${String(err)}`));
    await temporal?.stop();
    results.loadSamples = loadSamples;
    const dir = path.join(ROOT, '.hookflow', 'bench');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `side-by-side-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(results, null, 2));
    const range = loadSamples.length ? `${Math.min(...loadSamples)}–${Math.max(...loadSamples)}` : String(loadAvg());
    out(`\n(1-minute load average during the run: ${range}, sampled every 5 s; raw trials in ${path.relative(process.cwd(), file)})`);
  }
}

/** The tables of a run's trials (also from a saved run: `--report <json>`). */
function printTables(r: Partial<Record<Scenario, Trial[]>> & { options?: Record<string, number> }, out: (l: string) => void): void {
  const o = r.options ?? {};
  if (r.peers) {
    out(`\n## Side by side: ${o.connections} connections × ${o.seconds} s, webhook → filter → POST to a sink (median of ${o.repeats} interleaved rounds)\n`);
    out(peersTable(r.peers));
    out('');
    out(ratioTable(r.peers));
  }
  if (r.burst) {
    out(
      `\n## Burst: ${o.burst} webhooks, ${o.inFlight} in flight (answers within ${o.timeoutMs! / 1000} s; then up to ${o.drainMs! / 1000} s for the deliveries)\n`,
    );
    out(burstTable(r.burst));
  }
  if (r.steady) {
    out(`\n## Steady rate: ${o.rate} webhooks/s for ${o.rateSeconds} s, open loop\n`);
    out(steadyTable(r.steady));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
