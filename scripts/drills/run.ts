// `npm run drills` (= npx tsx scripts/drills/run.ts [name…]): fault drills against a real Temporal
// dev server and real hookflow processes on loopback. Prints one PASS/FAIL line with counts per
// drill; exits 1 when any fails. Names: dup, temporal, temporal-direct, group, worker, flap, ingress.
import { loadAvg } from '../../bench/lib/proc-stats.js';
import type { DrillResult } from './common.js';
import { duplicateStorm } from './duplicate-storm.js';
import { groupKill } from './group-kill.js';
import { ingressRestart } from './ingress-restart.js';
import { sinkFlap } from './sink-flap.js';
import { temporalDown } from './temporal-down.js';
import { workerKill } from './worker-kill.js';

const DRILLS: Record<string, () => Promise<DrillResult>> = {
  dup: () => duplicateStorm(1000),
  temporal: () => temporalDown({ rate: 20, outageMs: 120_000 }),
  'temporal-direct': () => temporalDown({ rate: 20, outageMs: 8_000, mode: 'direct' }),
  group: () => groupKill(3000, 200, 1200),
  worker: () => workerKill(300, 30),
  flap: () => sinkFlap(200, 20),
  ingress: () => ingressRestart(400, 25),
};

const wanted = process.argv.slice(2);
for (const w of wanted) if (!(w in DRILLS)) throw new Error(`unknown drill "${w}"; known: ${Object.keys(DRILLS).join(', ')}`);
const names = wanted.length ? wanted : Object.keys(DRILLS);
let failed = 0;
let passed = 0;
for (const name of names) {
  const t0 = Date.now();
  let r: DrillResult;
  try {
    r = await DRILLS[name]!();
  } catch (err) {
    r = { name, pass: false, counts: 'the drill itself failed', problems: [err instanceof Error ? (err.stack ?? err.message) : String(err)] };
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  console.log(`${r.pass ? 'PASS' : 'FAIL'} ${r.name} (${secs} s, load ${loadAvg()}): ${r.counts}`);
  for (const p of r.problems) console.log(`     ✗ ${p}`);
  if (r.pass) passed++;
  else failed++;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
