// Exploration: e2e at a low steady rate with a history breakdown, for one worker configuration.
// npx tsx bench/explore.ts '<BENCH_TUNING json>' [eager]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { historyBreakdown, startE2EProc, steadyRate } from './e2e.js';
import { cpuMs, loadAvg, startTemporal } from './lib.js';

const tuning = process.argv[2] ?? '{}';
const eager = process.argv[3] === 'eager';
const t = process.env.TEMPORAL_ADDRESS ? undefined : await startTemporal({ dbFile: path.join(mkdtempSync(path.join(tmpdir(), 'hf-t-')), 'temporal.db') });
const address = process.env.TEMPORAL_ADDRESS ?? t!.address;
const p = await startE2EProc(address, { BENCH_TUNING: tuning, ...(eager ? { BENCH_EAGER: '1' } : {}) });
try {
  await steadyRate(p, 5, 3000, 10000, 'warm');
  const c0 = cpuMs(p.proc.pid);
  const s0 = t ? cpuMs(t.pid) : NaN;
  const r = await steadyRate(p, 5, 12000, 20000, `x${Date.now().toString(36)}`);
  console.log(`cpu per run: hookflow ${((cpuMs(p.proc.pid) - c0) / r.accepted).toFixed(2)} ms, temporal ${((t ? cpuMs(t.pid) : NaN) - s0) / r.accepted} ms; load ${loadAvg()}`);
  const b = await historyBreakdown(address, r.ids.slice(-30).map((id) => `relay-0/bench/${id}`));
  const { ids, ...rest } = r;
  console.log(JSON.stringify({ tuning, eager, ...rest }));
  console.log(JSON.stringify(b));
} finally {
  await p.stop();
  await t?.stop();
}
