// A source's `dedupe: { key, window }` on both journals (SQLite and PostgreSQL): the same content
// under a new delivery id within the window is answered like a duplicate delivery (200,
// `duplicate: true`, the first delivery's runs, no new run) and the request log says why; other
// content, and the same content after the window, start runs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postJson, resultOf, startTestHookflow } from '../../helpers/hookflow.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

const sources = `sources:
  gh:
    provider: generic
    verify: none
    event: body.type
    id: body.id
    dedupe: { key: "body.ref + ':' + body.after", window: 1h }
  brief:
    provider: generic
    verify: none
    event: body.type
    id: body.id
    dedupe: { key: body.after, window: 300ms }
`;
const recipes = {
  'sources.yaml': sources,
  'push.yaml': 'name: push\non: { source: gh, event: push }\nsteps:\n  - log: "{{ event.after }}"\n',
  'brief.yaml': 'name: brief\non: { source: brief, event: push }\nsteps:\n  - log: "{{ event.after }}"\n',
};

for (const journal of ['sqlite', 'postgres'] as const) {
  describe(`source dedupe windows (${journal} journal)`, () => {
    let hf: Awaited<ReturnType<typeof startTestHookflow>>;
    let db: TestDatabase | undefined;
    before(async () => {
      db = journal === 'postgres' ? await createTestDatabase('dedupe') : undefined;
      hf = await startTestHookflow({ recipes, ...(db ? { env: { HOOKFLOW_JOURNAL_URL: db.url } } : {}) });
    });
    after(async () => {
      await hf?.stop();
      await db?.drop();
    });

    test('the same content under a new delivery id within the window is a duplicate, logged with the reason', async () => {
      const first = await postJson(`${hf.url}/hooks/gh`, { type: 'push', id: 'd-1', ref: 'main', after: 'abc' });
      assert.equal(first.status, 200);
      assert.equal(first.json.runs[0].duplicate, false);
      const replayed = await postJson(`${hf.url}/hooks/gh`, { type: 'push', id: 'd-2', ref: 'main', after: 'abc' });
      assert.equal(replayed.status, 200);
      assert.deepEqual(
        replayed.json.runs.map((r: { workflowId: string; duplicate: boolean }) => [r.workflowId, r.duplicate]),
        [['push/gh/d-1', true]],
      );
      const other = await postJson(`${hf.url}/hooks/gh`, { type: 'push', id: 'd-3', ref: 'main', after: 'def' });
      assert.deepEqual(
        other.json.runs.map((r: { workflowId: string; duplicate: boolean }) => [r.workflowId, r.duplicate]),
        [['push/gh/d-3', false]],
      );

      const logged = await hf.journal!.getRequest(replayed.json.request);
      assert.equal(logged?.verdict, 'duplicate');
      assert.equal(logged?.error?.code, 'duplicate_content');
      assert.match(logged?.error?.message ?? '', /same dedupe key as delivery d-1/);
      const firstLogged = await hf.journal!.getRequest(first.json.request);
      assert.equal(firstLogged?.verdict, 'accepted');

      assert.equal((await resultOf(hf.client!.client, 'push/gh/d-1')).status, 'completed');
      assert.equal((await resultOf(hf.client!.client, 'push/gh/d-3')).status, 'completed');
      const listed = await hf.journal!.listRequests({ source: 'gh', limit: 10 });
      assert.equal(listed.filter((r) => r.verdict === 'accepted').length, 2, 'two deliveries journaled, the replay not');
    });

    test('after the window the same content starts a run again', async () => {
      const a = await postJson(`${hf.url}/hooks/brief`, { type: 'push', id: 'b-1', after: 'x' });
      assert.equal(a.json.runs[0].duplicate, false);
      await new Promise((r) => setTimeout(r, 700));
      const b = await postJson(`${hf.url}/hooks/brief`, { type: 'push', id: 'b-2', after: 'x' });
      assert.deepEqual(
        b.json.runs.map((r: { workflowId: string; duplicate: boolean }) => [r.workflowId, r.duplicate]),
        [['brief/brief/b-2', false]],
      );
    });
  });
}
