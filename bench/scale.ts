// wait_for and long loops at scale (issue 12's numbers), against `hookflow start` as a child process
// on a fresh dev server:
//   npx tsx bench/scale.ts [--only waits,flood,loop-set,loop-http] [--noise 5000] [--flood 3000] [--items 20000]
// - waits: 3 runs wait on `event.key == trigger.id`; `--noise` events of the same type that are not
//   theirs at 50 in flight (all must be answered 200); then the matching event of each: how long it
//   takes to wake, and how many events a still-waiting run's history holds.
// - flood: 3 runs wait; `--flood` events of the waited type as fast as 200 in flight; every waiting
//   run must still wake on its own event.
// - loop-set: for_each over `--items` items of `set` steps; a one-step run started meanwhile must
//   finish within 30 s. Time of the loop.
// - loop-http: for_each over `--items` items of `http` steps to a loopback sink, concurrency 50:
//   every item delivered, each once; time and the hookflow process's peak RSS.
// Prints a table; raw numbers go to .hookflow/bench/scale-<time>.json.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { freePort, ROOT, sleep } from './lib/basics.js';
import { table } from './lib/stats.js';
import { startTemporal } from './lib/temporal.js';
import { unsignedSource } from './lib/recipes.js';
import { type Proc, spawnProc } from './lib/processes.js';
import { loadAvg, rssMb } from './lib/proc-stats.js';
import { startCountingSink } from './lib/sink.js';
import { postForJson } from './lib/http.js';
import { pool } from './lib/load.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'waits,flood,loop-set,loop-http' },
    noise: { type: 'string', default: '5000' },
    flood: { type: 'string', default: '3000' },
    items: { type: 'string', default: '20000' },
  },
});
const only = new Set(values.only!.split(','));
const N_NOISE = Number(values.noise);
const N_FLOOD = Number(values.flood);
const N_ITEMS = Number(values.items);

const rows: Array<Array<string | number>> = [];
const raw: Record<string, unknown> = { at: new Date().toISOString(), load: [] as number[] };

function recipes(sinkUrl: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-scale-'));
  writeFileSync(path.join(dir, 'sources.yaml'), unsignedSource('app'));
  writeFileSync(
    path.join(dir, 'await.yaml'),
    `name: await\non: { source: app, event: order.created }\nsteps:\n  - id: paid\n    wait_for: { event: order.paid, match: "event.key == trigger.id", timeout: 30m }\n  - http: { method: POST, url: "${sinkUrl}/e/woke/{{ trigger.id }}" }\n`,
  );
  writeFileSync(
    path.join(dir, 'set-loop.yaml'),
    `name: set-loop\non: { source: app, event: set-loop }\nvars: { n: 0 }\nsteps:\n  - for_each: event.items\n    as: x\n    steps:\n      - set: { n: "{{ vars.n + 1 }}" }\n  - http: { method: POST, url: "${sinkUrl}/e/set-loop/{{ vars.n }}" }\n`,
  );
  writeFileSync(
    path.join(dir, 'http-loop.yaml'),
    `name: http-loop\non: { source: app, event: http-loop }\nsteps:\n  - for_each: event.items\n    as: x\n    concurrency: 50\n    steps:\n      - http: { method: POST, url: "${sinkUrl}/e/item/{{ x }}" }\n`,
  );
  writeFileSync(
    path.join(dir, 'quick.yaml'),
    `name: quick\non: { source: app, event: quick }\nsteps:\n  - http: { method: POST, url: "${sinkUrl}/e/quick/{{ trigger.id }}" }\n`,
  );
  return dir;
}

async function waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

async function main(): Promise<void> {
  const temporal = await startTemporal();
  const sink = await startCountingSink();
  const port = await freePort();
  const env = {
    RECIPES_DIR: recipes(sink.url),
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `scale-${Date.now().toString(36)}`,
    HOOKFLOW_JOURNAL_URL: path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-scale-journal-')), 'intake.db'),
    HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
  };
  const hf: Proc = await spawnProc(['bin/hookflow.mjs', 'start'], env);
  const url = `http://127.0.0.1:${port}/hooks/app`;
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const send = (body: object) => postForJson(url, JSON.stringify(body));
  const events = async (wid: string) => (await client.workflow.getHandle(wid).fetchHistory()).events?.length ?? 0;
  let peakRss = rssMb(hf.pid);
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, rssMb(hf.pid))), 500);
  try {
    for (const scenario of ['waits', 'flood'] as const) {
      if (!only.has(scenario)) continue;
      const n = scenario === 'waits' ? N_NOISE : N_FLOOD;
      const inFlight = scenario === 'waits' ? 50 : 200;
      const ids = [1, 2, 3].map((i) => `${scenario}-w${i}`);
      for (const id of ids) await send({ type: 'order.created', id });
      await sleep(2000);
      const t0 = Date.now();
      const answers = await pool(
        Array.from({ length: n }, (_, i) => i),
        inFlight,
        async (i) => (await send({ type: 'order.paid', id: `${scenario}-noise-${i}`, key: `nobody-${i}` })).status,
      );
      const noiseS = (Date.now() - t0) / 1000;
      const ok = answers.filter((s) => s === 200).length;
      const historyBefore = await events(`await/app/${ids[2]}`);
      const wakes: number[] = [];
      for (const id of ids) {
        const sent = Date.now();
        await send({ type: 'order.paid', id: `${id}-pay`, key: id });
        const woke = await waitFor(() => sink.first.has(`woke/${id}`), 60_000);
        wakes.push(woke ? sink.first.get(`woke/${id}`)! - sent : NaN);
      }
      raw[scenario] = { n, inFlight, noiseS, ok, historyBefore, wakes };
      rows.push([
        scenario,
        `${n} unrelated events at ${inFlight} in flight: ${ok} × 200 in ${noiseS.toFixed(1)} s`,
        `waiting run's history ${historyBefore} events`,
        `each woke ${wakes.map((w) => `${Math.round(w)} ms`).join(', ')} after its event`,
      ]);
    }
    if (only.has('loop-set')) {
      const items = Array.from({ length: N_ITEMS }, (_, i) => i);
      const t0 = Date.now();
      await send({ type: 'set-loop', id: 'set-1', items });
      await sleep(3000);
      const q0 = Date.now();
      await send({ type: 'quick', id: 'during-set' });
      const quick = (await waitFor(() => sink.first.has('quick/during-set'), 60_000)) ? Date.now() - q0 : NaN;
      const done = await waitFor(() => sink.first.has(`set-loop/${N_ITEMS}`), 600_000);
      const s = (Date.now() - t0) / 1000;
      raw['loop-set'] = { items: N_ITEMS, seconds: done ? s : NaN, quickMs: quick };
      rows.push([
        'loop-set',
        `for_each over ${N_ITEMS} set steps: ${done ? `${s.toFixed(1)} s` : 'NOT DONE in 10 min'}`,
        `a one-step run started meanwhile: ${Math.round(quick)} ms`,
        '',
      ]);
    }
    if (only.has('loop-http')) {
      const items = Array.from({ length: N_ITEMS }, (_, i) => i);
      peakRss = rssMb(hf.pid);
      const rssBefore = peakRss;
      const t0 = Date.now();
      await send({ type: 'http-loop', id: 'http-1', items });
      const delivered = () => items.reduce((n, i) => n + (sink.first.has(`item/${i}`) ? 1 : 0), 0);
      const done = await waitFor(() => delivered() === N_ITEMS, 1_800_000);
      const s = (Date.now() - t0) / 1000;
      const twice = items.filter((i) => (sink.keys.get(`item/${i}`)?.size ?? 0) > 1).length;
      const repeats = items.reduce((n, i) => n + Math.max(0, (sink.hits.get(`item/${i}`) ?? 0) - 1), 0);
      raw['loop-http'] = { items: N_ITEMS, seconds: s, delivered: delivered(), twice, repeats, rssBefore, peakRss };
      rows.push([
        'loop-http',
        `for_each over ${N_ITEMS} http steps, concurrency 50: ${done ? `${s.toFixed(1)} s (${(N_ITEMS / s).toFixed(0)} steps/s)` : `NOT DONE (${delivered()} delivered)`}`,
        `each once: ${twice === 0 ? 'yes' : `no (${twice} by two keys)`}, ${repeats} repeats with the same key`,
        `hookflow RSS ${rssBefore.toFixed(0)} → peak ${peakRss.toFixed(0)} MB`,
      ]);
    }
  } finally {
    clearInterval(rssTimer);
    (raw.load as number[]).push(loadAvg());
    await connection.close();
    await hf.stop();
    await sink.close();
    await temporal.stop();
  }
  console.log(table(['scenario', 'load', 'history / side run', 'result'], rows));
  console.log(`load average at the end: ${loadAvg()}`);
  const dir = path.join(ROOT, '.hookflow', 'bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `scale-${Date.now()}.json`), JSON.stringify(raw, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
