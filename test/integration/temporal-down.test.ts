// "No webhook lost, none answered 2xx without being stored": with the Temporal server stopped,
// journal intake keeps answering 200 (the deliveries wait in the journal, /healthz stays 200 and
// says Temporal is down) and starts their runs when the server is back; direct intake answers 503 +
// Retry-After, and what it journaled still starts after the outage, exactly once.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { RunResult } from '../../src/core/types.js';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { eventually, freePort, postJson, resultOf, startTestHookflow, unsignedSource } from '../helpers/hookflow.js';

const recipes = {
  'sources.yaml': unsignedSource('ops', 'kind'),
  'log-it.yaml': 'name: log-it\non: { source: ops, event: "*" }\nsteps:\n  - log: "got {{ event.id }}"\n',
};

async function outage(mode: 'journal' | 'direct') {
  const port = await freePort();
  const dbFile = path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-db-')), 'temporal.db');
  const home = process.cwd();
  let server: DevServer = await startDevServer({ home, port, dbFile });
  const hf = await startTestHookflow({ recipes, address: server.address, env: { HOOKFLOW_START_TIMEOUT_MS: '2000', HOOKFLOW_INTAKE: mode } });
  return {
    hf,
    get server() {
      return server;
    },
    async restart() {
      server = await startDevServer({ home, port, dbFile });
    },
    async stop() {
      await hf.stop();
      await server.stop();
    },
  };
}

describe('Temporal stopped and started again (real dev server)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(
    async () => {
      for (const c of cleanups) await c().catch(() => {});
    },
    { timeout: 120_000 },
  );

  test('journal intake: accepted during the outage (200, state queued), started once Temporal is back, earlier runs kept', async () => {
    const o = await outage('journal');
    cleanups.push(() => o.stop());
    const { hf } = o;
    const ok = await postJson(`${hf.url}/hooks/ops`, { kind: 'deploy', id: 'before-outage' });
    assert.equal(ok.status, 200);
    await resultOf(hf.client!.client, 'log-it/ops/before-outage');

    await o.server.stop();
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await postJson(`${hf.url}/hooks/ops`, { kind: 'deploy', id: `during-outage-${i}` }));
    for (const a of answers) {
      assert.equal(a.status, 200, JSON.stringify(a.json));
      assert.equal(a.json.runs[0].state, 'queued');
    }
    const health = await fetch(`${hf.url}/healthz`);
    const report = (await health.json()) as { ok: boolean; temporal: { ok: boolean }; journal: { pending: number } };
    assert.equal(health.status, 200, 'webhooks are still accepted, so /healthz stays 200');
    assert.equal(report.temporal.ok, false, '…and says Temporal does not answer');
    assert.ok(report.journal.pending >= 5, `backlog reported: ${JSON.stringify(report.journal)}`);

    await o.restart();
    for (let i = 0; i < 5; i++) {
      const r = await resultOf<RunResult>(hf.client!.client, `log-it/ops/during-outage-${i}`, 60_000);
      assert.equal(r.logs[0]?.message, `got during-outage-${i}`);
    }
    const kept = await hf.client!.client.workflow.getHandle('log-it/ops/before-outage').describe();
    assert.equal(kept.status.name, 'COMPLETED');
    const after = (await (await fetch(`${hf.url}/healthz`)).json()) as { journal: { pending: number }; temporal: { ok: boolean } };
    assert.equal(after.journal.pending, 0);
  });

  test('direct intake: 503 + Retry-After during the outage; the journaled delivery still starts once, and the retry is a duplicate', async () => {
    const o = await outage('direct');
    cleanups.push(() => o.stop());
    const { hf } = o;
    const ok = await postJson(`${hf.url}/hooks/ops`, { kind: 'deploy', id: 'd-before' });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.runs[0].state, 'started', 'direct intake answers after Temporal stored the run');

    await o.server.stop();
    const down = await postJson(`${hf.url}/hooks/ops`, { kind: 'deploy', id: 'd-during' });
    assert.equal(down.status, 503, JSON.stringify(down.json));
    assert.equal(down.headers.get('retry-after'), '5');
    assert.equal(down.json.error.code, 'temporal_unavailable');
    assert.equal((await fetch(`${hf.url}/healthz`)).status, 503, 'direct intake is unhealthy without Temporal');

    await o.restart();
    await resultOf(hf.client!.client, 'log-it/ops/d-during', 60_000);
    // The provider's retry after the outage: the delivery was journaled, so it is a duplicate.
    const retried = await eventually(
      async () => {
        const r = await postJson(`${hf.url}/hooks/ops`, { kind: 'deploy', id: 'd-during' });
        return r.status === 200 ? r : undefined;
      },
      30_000,
      'the retry to be answered',
    );
    assert.equal(retried.json.runs[0].duplicate, true);
    const list = [];
    for await (const w of hf.client!.client.workflow.list({ query: `WorkflowId = "log-it/ops/d-during"` })) list.push(w);
    assert.equal(list.length, 1);
  });
});
