// Duplicate storm: `events` distinct events, each delivered 3 times concurrently → exactly `events`
// runs (one answered duplicate:false per event, the other copies duplicate:true), and the sink
// receives each event exactly once.
import { Client, Connection } from '@temporalio/client';
import { sleep } from '../../bench/lib/basics.js';
import { startTemporal } from '../../bench/lib/temporal.js';
import { startCountingSink } from '../../bench/lib/sink.js';
import { isOk, postForJson } from '../../bench/lib/http.js';
import { pool } from '../../bench/lib/load.js';
import { drillResult, eventBody, hookflow, relayRecipes, sample, type DrillResult } from './common.js';

interface Answer {
  accepted?: boolean;
  runs?: Array<{ workflowId: string; duplicate: boolean }>;
}

export async function duplicateStorm(events = 1000): Promise<DrillResult> {
  const temporal = await startTemporal();
  const sink = await startCountingSink();
  const taskQueue = `drill-dup-${Date.now().toString(36)}`;
  const hf = await hookflow('start', { RECIPES_DIR: relayRecipes(sink.url), TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: taskQueue });
  const problems: string[] = [];
  try {
    const tag = Date.now().toString(36);
    const copies = Array.from({ length: events }, (_, i) => `${tag}-${i}`).flatMap((id) => [id, id, id]);
    // The three copies of an event are neighbours, so they are in flight together.
    const answers = await pool(copies, 96, async (id) => ({ id, ...(await postForJson(`${hf.url}/hooks/bench`, eventBody(id))) }));
    const fresh = new Map<string, number>();
    let non2xx = 0;
    let dupAnswers = 0;
    for (const a of answers) {
      if (!isOk(a.status)) {
        non2xx++;
        continue;
      }
      const run = (a.json as Answer).runs?.[0];
      if (!run) continue;
      if (run.duplicate) dupAnswers++;
      else fresh.set(a.id, (fresh.get(a.id) ?? 0) + 1);
    }
    const twice = [...fresh].filter(([, n]) => n > 1).map(([id]) => id);
    const none = [...new Set(copies)].filter((id) => !fresh.has(id));
    // Runs that exist in Temporal for this task queue.
    const connection = await Connection.connect({ address: temporal.address });
    let runsInTemporal = -1;
    try {
      const client = new Client({ connection });
      for (let i = 0; i < 40; i++) {
        runsInTemporal = (await client.workflow.count(`TaskQueue = "${taskQueue}"`)).count;
        if (runsInTemporal >= events) break;
        await sleep(500);
      }
    } finally {
      await connection.close();
    }
    const deadline = Date.now() + 120_000;
    while (sink.first.size < events && Date.now() < deadline) await sleep(250);
    await sleep(2000); // a late second delivery would show up here
    if (non2xx) problems.push(`${non2xx} deliveries not answered 2xx`);
    if (twice.length) problems.push(`events started twice: ${sample(twice)}`);
    if (none.length) problems.push(`events with no fresh start: ${sample(none)}`);
    if (runsInTemporal !== events) problems.push(`Temporal holds ${runsInTemporal} runs, expected ${events}`);
    if (sink.first.size !== events) problems.push(`the sink saw ${sink.first.size} distinct events, expected ${events}`);
    if (sink.total() !== events) problems.push(`the sink received ${sink.total()} requests, expected exactly ${events}`);
    return drillResult(
      'duplicate storm',
      `${events} events × 3 copies = ${copies.length} deliveries; 2xx ${copies.length - non2xx}; fresh starts ${fresh.size}; duplicate answers ${dupAnswers}; runs in Temporal ${runsInTemporal}; sink ${sink.first.size} distinct / ${sink.total()} requests`,
      problems,
    );
  } finally {
    await hf.stop();
    await sink.close();
    await temporal.stop();
  }
}
