// wait_for under unrelated traffic (real Temporal): runs waiting for their own event are not touched
// by thousands of events of the same type that are not for them — their histories stay small — and
// each still wakes, promptly, on its own event. (`npm run bench` runs the 5,000-event version.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunResult } from '../../src/core/types.js';
import { postJson, resultOf, startTestHookflow, startedRun, unsignedSource } from '../helpers/hookflow.js';

const recipes = {
  'sources.yaml': unsignedSource('shop'),
  'await-payment.yaml': `
name: await-payment
on: { source: shop, event: order.created }
steps:
  - id: paid
    wait_for: { event: order.paid, match: "event.key == trigger.id", timeout: 5m }
  - log: "paid {{ steps.paid.body.key }}"
`,
};

async function flood(url: string, ids: string[], inFlight: number): Promise<number> {
  let next = 0;
  let ok = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (;;) {
        const i = next++;
        if (i >= ids.length) return;
        const r = await postJson(url, { type: 'order.paid', id: ids[i], key: `not-${ids[i]}` });
        if (r.status === 200) ok++;
      }
    }),
  );
  return ok;
}

describe('wait_for at scale (real Temporal)', () => {
  let hf: Awaited<ReturnType<typeof startTestHookflow>>;
  before(async () => {
    hf = await startTestHookflow({ recipes });
  });
  after(async () => {
    await hf?.stop();
  });

  test("3 waiting runs, 2,000 events of the type that are not theirs, then each one's own: each wakes promptly, histories stay small", async (t) => {
    const url = `${hf.url}/hooks/shop`;
    for (const id of ['w-1', 'w-2', 'w-3']) assert.equal((await postJson(url, { type: 'order.created', id })).status, 200);
    for (const id of ['w-1', 'w-2', 'w-3']) await startedRun(hf.client!.client, `await-payment/shop/${id}`);
    await new Promise((r) => setTimeout(r, 1000)); // the waits are recorded

    const accepted = await flood(
      url,
      Array.from({ length: 2000 }, (_, i) => `noise-${i}`),
      50,
    );
    assert.equal(accepted, 2000, 'every event answered 200');

    const history = await hf.client!.client.workflow.getHandle('await-payment/shop/w-2').fetchHistory();
    const events = history.events?.length ?? 0;
    t.diagnostic(`a waiting run's history after 2,000 unrelated events: ${events} events`);
    assert.ok(events <= 50, `the waiting run's history grew with unrelated traffic: ${events} events`);

    for (const id of ['w-2', 'w-1', 'w-3']) {
      const sent = Date.now();
      assert.equal((await postJson(url, { type: 'order.paid', id: `pay-${id}`, key: id })).status, 200);
      const r = await resultOf<RunResult>(hf.client!.client, `await-payment/shop/${id}`, 60_000);
      const ms = Date.now() - sent;
      t.diagnostic(`${id} woke and finished ${ms} ms after its event`);
      assert.equal(r.logs[0]?.message, `paid ${id}`);
    }
  });
});
