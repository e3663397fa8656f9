// `npm run bench` (= npx tsx bench/run.ts): hookflow measured on this machine, loopback only.
//
//   npx tsx bench/run.ts                       every section against a fresh dev server (SQLite file)
//   npx tsx bench/run.ts --only ingest,e2e     some sections: core, ingest, e2e, maxrate, memory, tuning
//   npx tsx bench/run.ts --repeats 5           runs per figure (median reported; default 3)
//   npx tsx bench/run.ts --server tuned        dev server with the recommended flags (TUNED_SERVER)
//   npx tsx bench/run.ts --hookflow tuned      e2e/maxrate with eager workflow start + preloaded bundle
//   TEMPORAL_ADDRESS=127.0.0.1:17233 npx tsx bench/run.ts --only ingest,e2e   against another server
//   npx tsx bench/run.ts --only peers [options]  hookflow side by side with Node-RED, n8n and Temporal's
//                                               floor: bench/side-by-side.ts, which takes the options
//
// Prints Markdown tables; the raw numbers go to .hookflow/bench/<time>.json.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { coreBench } from './core.bench.js';
import { historyBreakdown, maxSteadyRate, startE2EProc, steadyRate, type Breakdown, type E2EResult } from './e2e.js';
import { clientCase, ingestCase, type IngestOptions, type IngestRow } from './ingest.js';
import { ROOT } from './lib/basics.js';
import { median, table } from './lib/stats.js';
import { startTemporal, type TemporalOptions, type TemporalServer, TUNED_SERVER } from './lib/temporal.js';
import { cpuMs, loadAvg } from './lib/proc-stats.js';
import { memoryCase, type MemoryResult } from './memory.js';
import { main as sideBySide } from './side-by-side.js';

// `--only peers` is the side-by-side harness, with options of its own: hand it the rest of the line.
const argv = process.argv.slice(2);
const onlyAt = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
const onlyValue = onlyAt < 0 ? undefined : argv[onlyAt]!.startsWith('--only=') ? argv[onlyAt]!.slice('--only='.length) : argv[onlyAt + 1];
if (onlyValue?.split(',').includes('peers')) {
  if (onlyValue !== 'peers') throw new Error('--only peers runs alone (it starts its own servers): run the other sections in another invocation');
  await sideBySide(argv.filter((_, i) => i !== onlyAt && (argv[onlyAt]!.includes('=') || i !== onlyAt + 1)));
  process.exit(0);
}

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    repeats: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
    'e2e-rate': { type: 'string', default: '10' },
    server: { type: 'string', default: 'shipped' },
    hookflow: { type: 'string', default: 'shipped' },
  },
});
const SECTIONS = ['core', 'ingest', 'e2e', 'maxrate', 'memory', 'tuning'];
const only = values.only ? values.only.split(',') : SECTIONS.filter((s) => s !== 'tuning');
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`unknown section "${s}"; known: ${SECTIONS.join(', ')}`);
const repeats = Number(values.repeats);
const e2eRate = Number(values['e2e-rate']);
const log = (l: string): void => console.error(l);
const out = (l = ''): void => console.log(l);
const results: Record<string, unknown> = { at: new Date().toISOString(), loadAtStart: loadAvg() };

const tmpDb = (): string => path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-bench-')), 'temporal.db');
const serverFlags: TemporalOptions = values.server === 'tuned' ? TUNED_SERVER : {};
if (!['shipped', 'tuned'].includes(values.server!)) throw new Error('--server is shipped or tuned');
let temporal: TemporalServer | undefined;
let address = process.env.TEMPORAL_ADDRESS;
if (!address) {
  // As `hookflow start` runs it: the dev server on a SQLite file.
  temporal = await startTemporal({ dbFile: tmpDb(), ...serverFlags });
  address = temporal.address;
}
// With TEMPORAL_ADDRESS, BENCH_TEMPORAL_PID lets the e2e section count the server's CPU too.
const serverPid = temporal?.pid ?? (process.env.BENCH_TEMPORAL_PID ? Number(process.env.BENCH_TEMPORAL_PID) : undefined);
const serverLabel = temporal
  ? `dev server, SQLite file, ${values.server === 'tuned' ? 'tuned flags (WAL, synchronous=normal, eager activities)' : 'flags as shipped'}`
  : 'TEMPORAL_ADDRESS';
results.server = serverLabel;
if (!['shipped', 'tuned'].includes(values.hookflow!)) throw new Error('--hookflow is shipped or tuned');
const e2eEnv: Record<string, string> = values.hookflow === 'tuned' ? { BENCH_EAGER: '1', BENCH_BUNDLE: await preloadBundle() } : {};
results.hookflow = values.hookflow;
out(
  `# hookflow bench — Temporal at ${address} (${serverLabel}); hookflow ${values.hookflow === 'tuned' ? 'with eager start + preloaded bundle (e2e, maxrate)' : 'as shipped'}; load average ${loadAvg()} at start`,
);

try {
  if (only.includes('core')) {
    log('core: matching and templates…');
    const runs = Array.from({ length: repeats }, () => coreBench());
    const rows = runs[0]!.map(([label], i) => [label, median(runs.map((r) => Number(r[i]![1])))] as [string, number]);
    results.core = rows;
    out('\n## Matching and templates (µs per operation, median of ' + repeats + ')\n');
    out(table(['operation', 'µs/op'], rows));
  }

  if (only.includes('ingest')) {
    const o: IngestOptions = { address, repeats, durationS: Number(values.duration), connections: Number(values.connections), log };
    log(`ingest: ${o.connections} connections, ${o.durationS} s × ${repeats} per case…`);
    const noop = await ingestCase('ingress, no-op starter, 1 recipe', 'noop', 1, o);
    const serve1 = await ingestCase('hookflow serve, 1 recipe', 'serve', 1, o);
    const serve10 = await ingestCase('hookflow serve, 10 recipes (10 starts per event)', 'serve', 10, o);
    const start1 = await ingestCase('hookflow start (worker in the same process), 1 recipe', 'start', 1, o, { HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1' });
    const bare = await clientCase(o);
    const rows: IngestRow[] = [noop, serve1, serve10, start1, bare];
    results.ingest = { connections: o.connections, durationS: o.durationS, rows, load: loadAvg() };
    out(`\n## Ingest (autocannon, ${o.connections} connections, ${o.durationS} s, median of ${repeats}; every 2xx is a durable start)\n`);
    out(
      table(
        ['case', '2xx/s', 'p50 ms', 'p99 ms', 'runs started/s', 'non-2xx + errors'],
        rows.map((r) => {
          const starts = r === serve10 ? r.rps * 10 : r === noop ? 0 : r.rps;
          return [r.label, r.rps, r.p50, r.p99, starts ? starts : '—', r.bad];
        }),
      ),
    );
    out('');
    out(
      table(
        ['ratio', 'value'],
        [
          ['hookflow serve (1 recipe) ÷ ingress ceiling (no-op starter)', `${((serve1.rps / noop.rps) * 100).toFixed(0)} %`],
          ['hookflow serve (1 recipe) ÷ Temporal ceiling (bare client starts)', `${((serve1.rps / bare.rps) * 100).toFixed(0)} %`],
          ['runs/s with 10 recipes ÷ bare client starts', `${(((serve10.rps * 10) / bare.rps) * 100).toFixed(0)} %`],
        ],
      ),
    );
  }

  if (only.includes('e2e')) {
    log(`e2e: ${e2eRate}/s for 10 s × ${repeats}…`);
    const p = await startE2EProc(address, e2eEnv);
    const runs: E2EResult[] = [];
    let breakdown: Breakdown | undefined;
    const cpuPerRun: number[] = [];
    try {
      await steadyRate(p, e2eRate, 3000, 15_000, `warm-${Date.now().toString(36)}`);
      for (let i = 0; i < repeats; i++) {
        const c0 = cpuMs(p.proc.pid);
        const s0 = serverPid ? cpuMs(serverPid) : NaN;
        const r = await steadyRate(p, e2eRate, 10_000, 30_000, `e2e-${i}-${Date.now().toString(36)}`);
        cpuPerRun.push((cpuMs(p.proc.pid) - c0) / r.accepted, serverPid ? (cpuMs(serverPid) - s0) / r.accepted : NaN);
        const { ids, ...row } = r;
        runs.push(row);
        log(`  run ${i + 1}: p50 ${r.p50} ms, p99 ${r.p99} ms, lost ${r.lost}`);
        if (i === repeats - 1)
          breakdown = await historyBreakdown(
            address,
            ids.slice(-40).map((id) => `relay-0/bench/${id}`),
          );
      }
    } finally {
      await p.stop();
    }
    const hfCpu = median(cpuPerRun.filter((_, i) => i % 2 === 0));
    const tCpu = median(cpuPerRun.filter((_, i) => i % 2 === 1));
    results.e2e = { runs, breakdown, hfCpuMsPerRun: hfCpu, temporalCpuMsPerRun: tCpu, load: loadAvg() };
    out(`\n## End to end at a steady ${e2eRate} events/s (POST → http step at the sink; 10 s, median of ${repeats})\n`);
    out(
      table(
        ['figure', 'value'],
        [
          [
            'events sent / accepted / lost',
            `${median(runs.map((r) => r.sent))} / ${median(runs.map((r) => r.accepted))} / ${runs.reduce((s, r) => s + r.lost, 0)}`,
          ],
          ['webhook answered p50 / p99 (ms)', `${median(runs.map((r) => r.ackP50))} / ${median(runs.map((r) => r.ackP99))}`],
          ['POST → sink p50 / p99 (ms)', `${median(runs.map((r) => r.p50))} / ${median(runs.map((r) => r.p99))}`],
          ['CPU per run: hookflow process (ingress + worker), ms', hfCpu],
          ['CPU per run: Temporal server process, ms', tCpu],
        ],
      ),
    );
    if (breakdown) {
      out(`\nWhere the time goes (median over the last ${breakdown.samples} runs' histories, ms):\n`);
      out(
        table(
          ['stage (history events)', 'ms'],
          [
            ['WorkflowExecutionStarted → first WorkflowTaskStarted', breakdown.wftScheduleToStart],
            ['first WorkflowTaskStarted → Completed', breakdown.wftStartToComplete],
            ['ActivityTaskScheduled → Started', breakdown.activityScheduleToStart],
            ['ActivityTaskStarted → Completed (the POST to the sink)', breakdown.activityRun],
            ['ActivityTaskCompleted → WorkflowExecutionCompleted', breakdown.finish],
            ['whole run', breakdown.total],
          ],
        ),
      );
    }
  }

  if (only.includes('maxrate')) {
    log('maxrate: stepping the rate up…');
    const p = await startE2EProc(address, e2eEnv);
    try {
      const m = await maxSteadyRate(p, [5, 10, 15, 20, 25, 30, 40, 50, 60, 80, 100], 10_000, 30_000, 5_000, log);
      results.maxrate = { ...m, load: loadAvg() };
      out(
        '\n## Highest steady rate with zero lost events (10 s per step; a step passes when every accepted event reaches the sink, none is refused, and e2e p99 ≤ 5 s)\n',
      );
      out(
        table(
          ['rate/s', 'sent', 'accepted', 'lost', 'e2e p50 ms', 'e2e p99 ms', 'verdict'],
          m.tried.map((r) => [
            r.rate,
            r.sent,
            r.accepted,
            r.lost,
            r.p50,
            r.p99,
            r === m.best ? 'highest passing' : m.tried.indexOf(r) < m.tried.indexOf(m.best!) ? 'pass' : 'fail',
          ]),
        ),
      );
    } finally {
      await p.stop();
    }
  }

  if (only.includes('memory')) {
    log('memory: 1,000 runs parked in a delay…');
    const rows: MemoryResult[] = [];
    rows.push(await memoryCase(address, 1000, 'worker defaults', {}, log));
    rows.push(await memoryCase(address, 1000, 'maxCachedWorkflows: 100', { maxCachedWorkflows: 100 }, log));
    results.memory = rows;
    out('\n## Worker memory with 1,000 runs waiting in `delay`\n');
    out(
      table(
        ['worker', 'idle RSS MB', 'RSS MB', 'main-thread heap MB (idle → loaded)', 'RSS per waiting run kB'],
        rows.map((r) => [r.label, r.idleRssMb, r.rssMb, `${r.idleHeapMb.toFixed(0)} → ${r.heapMb.toFixed(0)}`, r.perRunKb]),
      ),
    );
  }

  if (only.includes('tuning')) {
    // Cumulative steps first (each keeps the ones above it), then single knobs on top of the last.
    const preload = await preloadBundle();
    const shipped: TemporalOptions = {};
    const variants: Array<{ label: string; server: TemporalOptions; env: Record<string, string> }> = [
      { label: 'as shipped (dev server defaults, worker defaults)', server: shipped, env: {} },
      { label: '+ SQLite journal_mode=wal, synchronous=normal', server: { pragmas: TUNED_SERVER.pragmas }, env: {} },
      { label: '+ eager activities (system.enableActivityEagerExecution)', server: TUNED_SERVER, env: {} },
      { label: '+ eager workflow start (client on the worker connection)', server: TUNED_SERVER, env: { BENCH_EAGER: '1' } },
      { label: '+ bundle preloadModules (cel-js + src/core)', server: TUNED_SERVER, env: { BENCH_EAGER: '1', BENCH_BUNDLE: preload } },
      { label: 'eager (row 4) with maxCachedWorkflows: 0', server: TUNED_SERVER, env: { BENCH_EAGER: '1', BENCH_TUNING: '{"maxCachedWorkflows":0}' } },
      { label: 'eager (row 4) with reuseV8Context: false', server: TUNED_SERVER, env: { BENCH_EAGER: '1', BENCH_TUNING: '{"reuseV8Context":false}' } },
    ];
    const rows: Array<Array<string | number>> = [];
    const raw: unknown[] = [];
    for (const v of variants) {
      log(`tuning: ${v.label}…`);
      const server = await startTemporal({ dbFile: tmpDb(), ...v.server });
      const p = await startE2EProc(server.address, v.env);
      try {
        await steadyRate(p, e2eRate, 3000, 15_000, `warm-${Date.now().toString(36)}`);
        const cpu: number[] = [];
        const scpu: number[] = [];
        const rs: E2EResult[] = [];
        let b: Breakdown | undefined;
        for (let i = 0; i < repeats; i++) {
          const c0 = cpuMs(p.proc.pid);
          const s0 = cpuMs(server.pid);
          const r = await steadyRate(p, e2eRate, 10_000, 30_000, `t-${i}-${Date.now().toString(36)}`);
          cpu.push((cpuMs(p.proc.pid) - c0) / r.accepted);
          scpu.push((cpuMs(server.pid) - s0) / r.accepted);
          const { ids, ...row } = r;
          rs.push(row);
          if (i === repeats - 1)
            b = await historyBreakdown(
              server.address,
              ids.slice(-30).map((id) => `relay-0/bench/${id}`),
            );
        }
        raw.push({ label: v.label, runs: rs, cpu, scpu, breakdown: b, load: loadAvg() });
        rows.push([
          v.label,
          median(rs.map((r) => r.p50)),
          median(rs.map((r) => r.p99)),
          median(rs.map((r) => r.ackP50)),
          b?.wftScheduleToStart ?? NaN,
          b?.wftStartToComplete ?? NaN,
          b?.activityScheduleToStart ?? NaN,
          b?.finish ?? NaN,
          median(cpu),
          median(scpu),
          loadAvg(),
        ]);
        log(`  ${rows.at(-1)!.join(' | ')}`);
      } finally {
        await p.stop();
        await server.stop();
      }
    }
    results.tuning = raw;
    out(`\n## Tuning, e2e at ${e2eRate}/s (hookflow start = ingress + worker in one process; median of ${repeats} × 10 s)\n`);
    out(
      table(
        [
          'variant',
          'e2e p50 ms',
          'e2e p99 ms',
          'answer p50 ms',
          'WFT sched→start',
          'WFT start→done',
          'activity sched→start',
          'activity done→run done',
          'hookflow CPU ms/run',
          'Temporal CPU ms/run',
          'load',
        ],
        rows,
      ),
    );
  }
} finally {
  await temporal?.stop();
  const dir = path.join(ROOT, '.hookflow', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  out(`\n(load average ${loadAvg()} at the end; raw numbers in ${path.relative(process.cwd(), file)})`);
}

/** The workflow bundle with cel-js and src/core preloaded once per V8 context (an experiment). */
async function preloadBundle(): Promise<string> {
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const noop = (): void => {};
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(ROOT, 'workflows', 'index.ts'),
    preloadModules: ['@marcbachmann/cel-js', ...['expr', 'template', 'interpreter'].map((m) => path.join(ROOT, 'src', 'core', `${m}.ts`))],
    logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop },
  });
  const file = path.join(ROOT, '.hookflow', 'bench', 'preload-bundle.js');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, code);
  return file;
}
