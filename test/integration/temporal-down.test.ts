// "No webhook answered 2xx without its run stored": with the Temporal server stopped, the ingress
// answers 503 + Retry-After and acknowledges nothing; once the server is back, deliveries succeed
// and runs from before the outage are still there.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { eventually, freePort, postJson, startTestHookflow, unsignedSource } from '../helpers/hookflow.js';

const recipes = {
  'sources.yaml': unsignedSource('ops', 'kind'),
  'log-it.yaml': 'name: log-it\non: { source: ops, event: "*" }\nsteps:\n  - log: "got {{ event.id }}"\n',
};

let server: DevServer | undefined;
let hf: Awaited<ReturnType<typeof startTestHookflow>> | undefined;
after(
  async () => {
    await hf?.stop();
    await server?.stop();
  },
  { timeout: 120_000 },
);

test('Temporal down → 503 with Retry-After and nothing acknowledged; back up → accepted, earlier runs kept', async () => {
  const port = await freePort();
  const dbFile = path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-db-')), 'temporal.db');
  const home = process.cwd();
  server = await startDevServer({ home, port, dbFile });
  hf = await startTestHookflow({ recipes, address: server.address, env: { HOOKFLOW_START_TIMEOUT_MS: '2000' } });

  const ok = await postJson(`${hf.url}/hooks/ops`, { kind: 'deploy', id: 'before-outage' });
  assert.equal(ok.status, 200);
  await hf.client!.client.workflow.getHandle('log-it/ops/before-outage').result();

  await server.stop();
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push(await postJson(`${hf.url}/hooks/ops`, { kind: 'deploy', id: `during-outage-${i}` }));
  for (const a of answers) {
    assert.equal(a.status, 503, JSON.stringify(a.json));
    assert.equal(a.headers.get('retry-after'), '5');
    assert.equal(a.json.error.code, 'temporal_unavailable');
  }
  const health = await fetch(`${hf.url}/healthz`);
  assert.equal(health.status, 503);

  // The server comes back on the same port with the same database: the provider's retry succeeds.
  server = await startDevServer({ home, port, dbFile });
  const retried = await eventually(async () => {
    const r = await postJson(`${hf!.url}/hooks/ops`, { kind: 'deploy', id: 'during-outage-0' });
    return r.status === 200 ? r : undefined;
  }, 30_000, 'the ingress to reach Temporal again');
  assert.equal(retried.json.runs[0].duplicate, false, 'nothing had been started during the outage');
  await hf.client!.client.workflow.getHandle('log-it/ops/during-outage-0').result();
  const kept = await hf.client!.client.workflow.getHandle('log-it/ops/before-outage').describe();
  assert.equal(kept.status.name, 'COMPLETED');
});
