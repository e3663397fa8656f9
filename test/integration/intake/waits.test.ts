// wait_for correlation in the journal, on both stores: a wait is recorded with a split point
// (`afterSeq`); deliveries up to it are its backlog (the wait activity scans them), later ones are
// routed to it by the dispatcher. The guarantee: every matching delivery reaches the wait exactly
// once — never missed, never twice — whatever commits at the same moment. The interleavings are
// forced here (a transaction held open before its commit), and a concurrent mix is checked too.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createJournalActivities } from '../../../src/activities/journal.js';
import type { Wake, WaitRecord } from '../../../src/core/runtime-contract.js';
import type { TriggerEvent } from '../../../src/core/types.js';
import { Dispatcher } from '../../../src/intake/dispatcher.js';
import type { AcceptInput, Journal } from '../../../src/intake/journal.js';
import { PgJournal, type PgJournalHooks } from '../../../src/intake/pg-journal.js';
import { newRequestId } from '../../../src/intake/request-id.js';
import { SqliteJournal } from '../../../src/intake/sqlite-journal.js';
import { createLogger } from '../../../src/log.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

const logger = createLogger({ LOG_LEVEL: 'silent' });

function paid(id: string, order: string, receivedAt = Date.now()): AcceptInput {
  const event: TriggerEvent = {
    source: 'shop',
    type: 'order.paid',
    id,
    received_at: new Date(receivedAt).toISOString(),
    body: { order },
    headers: {},
    query: {},
  };
  return {
    request: {
      id: newRequestId(receivedAt),
      receivedAt,
      source: 'shop',
      method: 'POST',
      path: '/hooks/shop',
      headers: {},
      body: Buffer.from('{}'),
      bodySize: 2,
      verdict: 'accepted',
      status: 200,
      event: { type: event.type, id },
    },
    event,
    deliveryKey: id,
    runs: [],
  };
}

function waitFor(order: string, since = Date.now() - 60_000, id = `run-${order}:steps[0]:0`): WaitRecord {
  return {
    id,
    workflowId: `wf-${order}`,
    source: 'shop',
    events: ['order.paid'],
    match: 'event.order == trigger.id',
    context: { trigger: { id: order } },
    since,
    expiresAt: Date.now() + 600_000,
  };
}

/** The dispatcher's router with a waker that records what it would signal. */
function router(journal: Journal): { dispatcher: Dispatcher; wakes: Array<{ workflowId: string; wake: Wake }> } {
  const wakes: Array<{ workflowId: string; wake: Wake }> = [];
  const dispatcher = new Dispatcher({
    journal,
    starter: { startRun: async () => ({ duplicate: false }) },
    waker: {
      wake: async (workflowId, wake) => {
        wakes.push({ workflowId, wake });
        return 'woken';
      },
    },
    classify: () => 'retry',
    logger,
    pollMs: 20,
  });
  return { dispatcher, wakes };
}

async function settle(ms = 300): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

interface Store {
  name: string;
  open(hooks?: PgJournalHooks): Promise<Journal>;
  done(): Promise<void>;
}

let db: TestDatabase | undefined;
const stores: Store[] = [
  { name: 'SQLite', open: async () => SqliteJournal.open(path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-waits-')), 'intake.db')), done: async () => {} },
  {
    name: 'PostgreSQL',
    open: async (hooks) => {
      db ??= await createTestDatabase('waits');
      return PgJournal.connect(db.url, hooks);
    },
    done: async () => {
      await db?.drop();
      db = undefined;
    },
  },
];

for (const store of stores) {
  describe(`wait_for correlation on ${store.name}`, () => {
    let j: Journal;
    let r: ReturnType<typeof router>;
    before(async () => {
      j = await store.open();
      r = router(j);
      r.dispatcher.start();
    });
    after(async () => {
      await r.dispatcher.stop();
      await j.close();
      await store.done();
    });

    test('an event before the wait is found in the backlog; one after it is routed; others are not for it', async () => {
      const acts = createJournalActivities(async () => j);
      await j.accept(paid('p-early', 'o-early'));
      await j.accept(paid('p-other', 'someone-else'));
      const early = await acts.waitSubscribe(waitFor('o-early'));
      assert.equal(early.event?.id, 'p-early', 'the earlier event answers the wait at once');

      const late = await acts.waitSubscribe(waitFor('o-late'));
      assert.equal(late.event, null);
      await j.accept(paid('p-late-other', 'not-it'));
      await j.accept(paid('p-late', 'o-late'));
      await settle();
      const forLate = r.wakes.filter((w) => w.workflowId === 'wf-o-late');
      assert.deepEqual(
        forLate.map((w) => w.wake.event.id),
        ['p-late'],
      );
      assert.equal(r.wakes.filter((w) => w.workflowId === 'wf-o-early').length, 0, 'a wait answered from the backlog is not woken again');
    });

    test('a wait that timed out is closed; a later event is not for it; an event that won it first is returned by the close', async () => {
      const acts = createJournalActivities(async () => j);
      await acts.waitSubscribe(waitFor('o-timeout'));
      assert.deepEqual(await acts.waitCancel('run-o-timeout:steps[0]:0'), { event: null });
      await j.accept(paid('p-timeout-late', 'o-timeout'));
      await settle();
      assert.equal(r.wakes.filter((w) => w.workflowId === 'wf-o-timeout').length, 0);

      // The event wins the wait at the last moment (routed), then the run's timer fires: the close
      // hands the run that event instead of a timeout.
      await acts.waitSubscribe(waitFor('o-edge'));
      await j.accept(paid('p-edge', 'o-edge'));
      await settle();
      assert.deepEqual((await acts.waitCancel('run-o-edge:steps[0]:0')).event?.id, 'p-edge');
    });

    test('an event older than the run (before its trigger) is not for it', async () => {
      const acts = createJournalActivities(async () => j);
      await j.accept(paid('p-ancient', 'o-ancient', Date.now() - 3_600_000));
      const w = await acts.waitSubscribe(waitFor('o-ancient', Date.now() - 60_000));
      assert.equal(w.event, null);
    });

    test('concurrent mix: 120 waits and their 120 events in random order, each wait gets its own event exactly once', async () => {
      const acts = createJournalActivities(async () => j);
      const n = 120;
      const answered = new Map<string, string[]>();
      const ops: Array<() => Promise<void>> = [];
      for (let i = 0; i < n; i++) {
        const order = `mix-${i}`;
        ops.push(async () => {
          const res = await acts.waitSubscribe(waitFor(order));
          if (res.event) answered.set(`wf-${order}`, [...(answered.get(`wf-${order}`) ?? []), res.event.id]);
        });
        ops.push(async () => {
          await j.accept(paid(`pay-${i}`, order));
        });
      }
      // Shuffle, then run in waves of 16 at once.
      for (let i = ops.length - 1; i > 0; i--) {
        const k = Math.floor(Math.random() * (i + 1));
        [ops[i], ops[k]] = [ops[k]!, ops[i]!];
      }
      for (let i = 0; i < ops.length; i += 16) await Promise.all(ops.slice(i, i + 16).map((f) => f()));
      await settle(1_000);
      for (const w of r.wakes) {
        if (!w.workflowId.startsWith('wf-mix-')) continue;
        answered.set(w.workflowId, [...(answered.get(w.workflowId) ?? []), w.wake.event.id]);
      }
      for (let i = 0; i < n; i++) {
        assert.deepEqual(answered.get(`wf-mix-${i}`), [`pay-${i}`], `wait ${i}: ${JSON.stringify(answered.get(`wf-mix-${i}`))}`);
      }
    });
  });
}

describe('forced interleavings: an event and a wait committed at the same moment', () => {
  test('SQLite: the wait and the event in one group commit, in both orders', async () => {
    const j = SqliteJournal.open(path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-race-')), 'intake.db'));
    const r = router(j);
    try {
      // Both calls queue in the same tick, so one transaction holds both, in this order.
      const [sub1] = await Promise.all([j.subscribe(waitFor('same-1')), j.accept(paid('p-same-1', 'same-1'))]);
      const [, sub2] = await Promise.all([j.accept(paid('p-same-2', 'same-2')), j.subscribe(waitFor('same-2'))]);
      const backlog1 = (await j.backlog(waitFor('same-1'), sub1.afterSeq, 100)).map((d) => d.event.id);
      const backlog2 = (await j.backlog(waitFor('same-2'), sub2.afterSeq, 100)).map((d) => d.event.id);
      assert.equal(backlog1.includes('p-same-1'), false, 'wait first: the event is after the split…');
      assert.equal(backlog2.includes('p-same-2'), true, 'event first: the event is in the backlog…');
      r.dispatcher.start();
      await settle();
      assert.deepEqual(
        r.wakes.map((w) => [w.workflowId, w.wake.event.id]),
        [['wf-same-1', 'p-same-1']],
        '…and only the first is routed',
      );
    } finally {
      await r.dispatcher.stop();
      await j.close();
    }
  });

  test('PostgreSQL: a delivery held open before its commit while a wait is recorded, and the reverse', async () => {
    const tdb = await createTestDatabase('race');
    const gate = new Gate();
    const j = await PgJournal.connect(tdb.url, { beforeCommit: (what) => gate.hook(what) });
    const r = router(j);
    const acts = createJournalActivities(async () => j);
    try {
      // 1. The delivery's transaction is open (inserted, not committed) when the wait is recorded.
      gate.arm('accept');
      const accepting = j.accept(paid('p-held', 'held-1'));
      await gate.reached;
      let subscribed = false;
      const subscribing = acts.waitSubscribe(waitFor('held-1')).finally(() => (subscribed = true));
      await settle(300);
      assert.equal(subscribed, false, 'recording the wait waits for the delivery in flight on its source');
      gate.release();
      await accepting;
      assert.equal((await subscribing).event?.id, 'p-held', 'then the wait finds the delivery in its backlog');

      // 2. The wait's transaction is open when the delivery arrives.
      gate.arm('subscribe');
      const subscribing2 = acts.waitSubscribe(waitFor('held-2'));
      await gate.reached;
      let accepted = false;
      const accepting2 = j.accept(paid('p-held-2', 'held-2')).finally(() => (accepted = true));
      await settle(300);
      assert.equal(accepted, false, 'the delivery waits for the wait being recorded on its source');
      gate.release();
      assert.equal((await subscribing2).event, null, 'the delivery committed after the wait: not in its backlog…');
      await accepting2;
      r.dispatcher.start();
      await settle(500);
      assert.deepEqual(
        r.wakes.map((w) => [w.workflowId, w.wake.event.id]),
        [['wf-held-2', 'p-held-2']],
        '…but routed to it, exactly once',
      );
    } finally {
      gate.release();
      await r.dispatcher.stop();
      await j.close();
      await tdb.drop();
    }
  });
});

/** Holds the next transaction of one kind open just before its commit, until released. */
class Gate {
  private armed?: 'accept' | 'subscribe';
  private onReached: () => void = () => {};
  private onRelease: () => void = () => {};
  private released: Promise<void> = Promise.resolve();
  reached: Promise<void> = Promise.resolve();

  arm(what: 'accept' | 'subscribe'): void {
    this.armed = what;
    this.reached = new Promise((r) => (this.onReached = r));
    this.released = new Promise((r) => (this.onRelease = r));
  }

  release(): void {
    this.onRelease();
  }

  async hook(what: 'accept' | 'subscribe'): Promise<void> {
    if (this.armed !== what) return;
    this.armed = undefined;
    this.onReached();
    await this.released;
  }
}
