// Markdown tables of side-by-side trials: medians per system, hookflow's ratios to the others, and
// the burst and steady-rate scenarios trial by trial.
import { fmt, median, table } from '../lib/stats.js';
import type { Trial } from './trial.js';

const med = (ts: Trial[], f: (t: Trial) => number | undefined): number => median(ts.map((t) => f(t) ?? NaN));
/** CPU per event of the system and of the Temporal server it runs on: its whole cost, whatever the load. */
const totalCpu = (t: Trial): number => t.cpuMsPerEvent + (t.temporalCpuMsPerEvent ?? 0);

function bySystem(trials: Trial[]): Map<string, Trial[]> {
  const m = new Map<string, Trial[]>();
  for (const t of trials) m.set(t.system, [...(m.get(t.system) ?? []), t]);
  return m;
}

/** Per system, the medians over its repeats. */
export function peersTable(trials: Trial[]): string {
  const rows = [...bySystem(trials)].map(([name, ts]) => [
    name,
    med(ts, (t) => t.deliveredPerS),
    med(ts, (t) => t.ackPerS),
    `${fmt(med(ts, (t) => t.ackP50))} / ${fmt(med(ts, (t) => t.ackP99))}`,
    `${fmt(med(ts, (t) => t.e2eP50))} / ${fmt(med(ts, (t) => t.e2eP99))}`,
    `${ts.reduce((n, t) => n + t.missing, 0)} / ${ts.reduce((n, t) => n + t.accepted, 0)}`,
    med(ts, (t) => t.cpuMsPerEvent),
    med(ts, (t) => t.temporalCpuMsPerEvent),
    med(ts, totalCpu),
    med(ts, (t) => t.loadAvg),
  ]);
  return table(
    [
      'system',
      'delivered/s',
      '2xx answers/s',
      'answer p50 / p99 ms',
      'e2e p50 / p99 ms',
      'never arrived / accepted',
      'CPU ms/event: system',
      'Temporal server',
      'both',
      'load avg',
    ],
    rows,
  );
}

/** hookflow's median rates divided by each other system's. */
export function ratioTable(trials: Trial[]): string {
  const systems = bySystem(trials);
  const hf = systems.get('hookflow');
  if (!hf) return '(no hookflow trials: no ratios)';
  const rows = [...systems]
    .filter(([name]) => name !== 'hookflow')
    .map(([name, ts]) => [
      `hookflow ÷ ${name}`,
      `${(med(hf, (t) => t.deliveredPerS) / med(ts, (t) => t.deliveredPerS)).toFixed(2)}×`,
      `${(med(hf, (t) => t.ackPerS) / med(ts, (t) => t.ackPerS)).toFixed(2)}×`,
      `${(med(hf, totalCpu) / med(ts, totalCpu)).toFixed(2)}×`,
    ]);
  return table(['ratio', 'delivered/s', '2xx answers/s', 'CPU ms/event (system + Temporal server)'], rows);
}

const answers = (t: Trial): string =>
  Object.entries(t.answers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${n} × ${k}`)
    .join(', ');

export function burstTable(trials: Trial[]): string {
  return table(
    [
      'system',
      'answers',
      'answer p50 / p99 ms',
      'delivered (unique)',
      'accepted, never arrived',
      'duplicates',
      'delivered though not 2xx',
      'until all delivered s',
      'CPU ms/event (system / Temporal)',
      'load avg',
    ],
    trials.map((t) => [
      t.system,
      answers(t),
      `${fmt(t.ackP50)} / ${fmt(t.ackP99)}`,
      `${t.delivered} / ${t.sent}`,
      t.missing,
      t.duplicates,
      t.deliveredUnacked,
      t.untilDeliveredS,
      `${fmt(t.cpuMsPerEvent)} / ${fmt(t.temporalCpuMsPerEvent ?? NaN)}`,
      t.loadAvg,
    ]),
  );
}

export function steadyTable(trials: Trial[]): string {
  return table(
    ['system', 'answers', 'answer p50 / p99 ms', 'e2e p50 / p99 ms', 'accepted, never arrived', 'duplicates', 'CPU ms/event (system / Temporal)', 'load avg'],
    trials.map((t) => [
      t.system,
      answers(t),
      `${fmt(t.ackP50)} / ${fmt(t.ackP99)}`,
      `${fmt(t.e2eP50)} / ${fmt(t.e2eP99)}`,
      t.missing,
      t.duplicates,
      `${fmt(t.cpuMsPerEvent)} / ${fmt(t.temporalCpuMsPerEvent ?? NaN)}`,
      t.loadAvg,
    ]),
  );
}
