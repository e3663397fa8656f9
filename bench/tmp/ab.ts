import { startTemporal, cpuMs, loadAvg, median } from '../lib.js';
import { startE2EProc, steadyRate, historyBreakdown } from '../e2e.js';
const t = await startTemporal({ dynamicConfig: (process.env.DC ?? '').split(' ').filter(Boolean) });
const variants = (process.env.AB ?? 'base,preload-core,base,preload-core').split(',');
for (const v of variants) {
  const env: Record<string, string> = v === 'base' ? {} : v.startsWith('{') ? { BENCH_TUNING: v } : v === 'eager' ? { BENCH_EAGER: '1' } : { BENCH_BUNDLE: `bench/tmp/${v}.js` };
  const p = await startE2EProc(t.address, env);
  try {
    await steadyRate(p, 10, 3000, 10000, `w${Date.now()}`);
    const c0 = cpuMs(p.proc.pid); const s0 = cpuMs(t.pid);
    const r = await steadyRate(p, 10, 20000, 20000, `m${Date.now()}`);
    const cpu = (cpuMs(p.proc.pid) - c0) / r.accepted; const scpu = (cpuMs(t.pid) - s0) / r.accepted;
    const b = await historyBreakdown(t.address, r.ids.slice(-40).map((id) => `relay-0/bench/${id}`));
    console.log(`${v.padEnd(40)} cpu/run ${cpu.toFixed(1)} ms (server ${scpu.toFixed(1)}) e2e p50 ${r.p50} p99 ${r.p99} lost ${r.lost} | WFT s→s ${b.wftScheduleToStart.toFixed(0)} s→c ${b.wftStartToComplete.toFixed(0)} act s→s ${b.activityScheduleToStart.toFixed(0)} run ${b.activityRun.toFixed(0)} finish ${b.finish.toFixed(0)} total ${b.total.toFixed(0)} | load ${loadAvg()}`);
  } finally { await p.stop(); }
}
await t.stop();
