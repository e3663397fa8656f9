// Sink flapping under load: every event's first three attempts fail (500, then a timeout, then 500)
// and the fourth succeeds — inside the default policy of 5 attempts. All runs must complete and
// every event must reach the sink with its 4th attempt; none lost.
import { startTemporal } from '../../bench/lib/temporal.js';
import { startCountingSink } from '../../bench/lib/sink.js';
import { isOk } from '../../bench/lib/http.js';
import { openLoop } from '../../bench/lib/load.js';
import { drillResult, hookflow, relayRecipes, sample, waitForCompletion, type DrillResult } from './common.js';

export async function sinkFlap(events = 200, rate = 20): Promise<DrillResult> {
  const temporal = await startTemporal();
  const sink = await startCountingSink();
  const attempts = new Map<string, number>();
  const succeededAt = new Map<string, number>();
  sink.respond = (key) => {
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    if (n === 1 || n === 3) return { status: 500 };
    // Longer than the step's 2 s timeout: the attempt times out.
    if (n === 2) return { status: 200, delayMs: 3000 };
    if (!succeededAt.has(key)) succeededAt.set(key, n);
    return { status: 200 };
  };
  const env = {
    RECIPES_DIR: relayRecipes(sink.url, { timeout: '2s' }),
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `drill-flap-${Date.now().toString(36)}`,
  };
  const hf = await hookflow('start', env);
  const problems: string[] = [];
  try {
    const { sent } = await openLoop({ url: `${hf.url}/hooks/bench`, rate, durationMs: (events / rate) * 1000, idPrefix: Date.now().toString(36) });
    const accepted = sent.filter((e) => isOk(e.status)).map((e) => e.id);
    if (accepted.length !== sent.length) problems.push(`${sent.length - accepted.length} requests not answered 2xx`);
    const final = await waitForCompletion(temporal.address, accepted, 180_000);
    const notDone = [...final.running, ...final.missing, ...final.other];
    if (notDone.length) problems.push(`runs not completed: ${sample(notDone)}`);
    const notDelivered = accepted.filter((id) => !succeededAt.has(`relay-0/${id}`));
    if (notDelivered.length) problems.push(`events never delivered with a 200: ${sample(notDelivered)}`);
    const notFourth = [...succeededAt].filter(([, n]) => n !== 4).map(([k, n]) => `${k}@${n}`);
    if (notFourth.length) problems.push(`successes on an attempt other than the 4th: ${sample(notFourth)}`);
    const mixedKeys = [...sink.keys].filter(([, ks]) => ks.size !== 1).map(([k]) => k);
    if (mixedKeys.length) problems.push(`attempts with different Idempotency-Keys: ${sample(mixedKeys)}`);
    return drillResult(
      'sink flapping under load',
      `${sent.length} events at ${rate}/s, each answered 500 → timeout → 500 → 200; 2xx ${accepted.length}; completed ${final.completed.length}/${accepted.length}; delivered ${succeededAt.size}/${accepted.length} (sink requests ${sink.total()}); one Idempotency-Key per event ${sink.keys.size - mixedKeys.length}/${sink.keys.size}`,
      problems,
    );
  } finally {
    await hf.stop();
    await sink.close();
    await temporal.stop();
  }
}
