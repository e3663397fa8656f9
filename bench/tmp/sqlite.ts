import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clientStartLoop } from '../ingest.js';
import { loadAvg, startTemporal } from '../lib.js';
const variants: Array<[string, Parameters<typeof startTemporal>[0]]> = [
  ['file wal (synchronous=full)', { dbFile: 'X', pragmas: ['journal_mode=wal'] }],
  ['file', { dbFile: 'X' }],
  ['file wal+normal', { dbFile: 'X', pragmas: ['journal_mode=wal', 'synchronous=normal'] }],
  ['file synchronous=off', { dbFile: 'X', pragmas: ['synchronous=off'] }],
];
for (const [label, o] of variants) {
  if (o!.dbFile) o!.dbFile = path.join(mkdtempSync(path.join(tmpdir(), 'hf-sq-')), 't.db');
  const t = await startTemporal(o);
  try {
    await clientStartLoop(t.address, 16, 2);
    const r = await clientStartLoop(t.address, 16, 5);
    console.log(label, r.rps.toFixed(0), 'starts/s p50', r.p50.toFixed(1), 'p99', r.p99.toFixed(1), 'errors', r.errors, 'load', loadAvg());
  } catch (e) { console.log(label, 'failed', String(e)); } finally { await t.stop(); }
}
