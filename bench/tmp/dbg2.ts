import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCountingSink, startTemporal, postForJson, sleep } from '../lib.js';
import { hookflow, relayRecipes } from '../../scripts/drills/common.js';
const dbFile = path.join(mkdtempSync(path.join(tmpdir(), 'hf-')), 't.db');
let t = await startTemporal({ dbFile });
const sink = await startCountingSink();
const hf = await hookflow('start', { RECIPES_DIR: relayRecipes(sink.url), TEMPORAL_ADDRESS: t.address, TEMPORAL_TASK_QUEUE: 'dbg2' });
console.log(await postForJson(`${hf.url}/hooks/bench`, JSON.stringify({ type: 'ping', id: 'x0' })));
await t.crash();
const down = Date.now();
console.log('down', JSON.stringify(await postForJson(`${hf.url}/hooks/bench`, JSON.stringify({ type: 'ping', id: 'x1' }))));
t = await startTemporal({ dbFile, port: t.port });
const up = Date.now();
console.log('restarted after', up - down);
for (let i = 0; i < 30; i++) {
  const s = Date.now();
  const r = await postForJson(`${hf.url}/hooks/bench`, JSON.stringify({ type: 'ping', id: `y${i}` }));
  console.log(((s - up) / 1000).toFixed(1), r.status, Date.now() - s, r.status === 200 ? '' : JSON.stringify(r.json).slice(0, 300));
  if (r.status === 200 && i > 3) break;
  await sleep(300);
}
await hf.stop(); await sink.close(); await t.stop();
