// The intake journal, the same contract on both stores: SQLite (a real file) and PostgreSQL (a real
// server, a fresh database). Dedupe, claims and leases, outcomes, the request log, pruning.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Recipe, TriggerEvent } from '../../../src/core/types.js';
import type { AcceptInput, Journal, RequestEntry } from '../../../src/intake/journal.js';
import { PgJournal } from '../../../src/intake/pg-journal.js';
import { newRequestId } from '../../../src/intake/request-id.js';
import { SqliteJournal } from '../../../src/intake/sqlite-journal.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

const recipeA: Recipe = { name: 'a', on: { source: 'shop', event: 'order.*' }, steps: [{ log: 'a' }] };
const recipeB: Recipe = { name: 'b', on: { source: 'shop', event: 'order.created' }, steps: [{ log: 'b' }], tests: [{ name: 't', event: {}, expect: [] }] };

function entry(over: Partial<RequestEntry> = {}): RequestEntry {
  const receivedAt = over.receivedAt ?? Date.now();
  return {
    id: newRequestId(receivedAt),
    receivedAt,
    source: 'shop',
    method: 'POST',
    path: '/hooks/shop',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from('{"id":"e1"}'),
    bodySize: 11,
    verdict: 'accepted',
    status: 200,
    ...over,
  };
}

function delivery(id: string, recipes: Recipe[] = [recipeA, recipeB], receivedAt = Date.now()): AcceptInput {
  const request = entry({
    receivedAt,
    event: { type: 'order.created', id },
    body: Buffer.from(JSON.stringify({ id })),
    bodySize: JSON.stringify({ id }).length,
  });
  const event: TriggerEvent = {
    source: 'shop',
    type: 'order.created',
    id,
    received_at: new Date(receivedAt).toISOString(),
    body: { id },
    headers: {},
    query: {},
  };
  return { request, event, deliveryKey: id, runs: recipes.map((r) => ({ recipe: r, workflowId: `${r.name}/shop/${id}` })) };
}

interface Store {
  name: string;
  open(): Promise<Journal>;
  cleanup(): Promise<void>;
}

let pgdb: TestDatabase | undefined;
const stores: Store[] = [
  {
    name: 'SQLite',
    open: async () => SqliteJournal.open(path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-journal-')), 'intake.db')),
    cleanup: async () => {},
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      pgdb ??= await createTestDatabase('journal');
      return PgJournal.connect(pgdb.url);
    },
    cleanup: async () => {
      await pgdb?.drop();
      pgdb = undefined;
    },
  },
];

for (const store of stores) {
  describe(`intake journal on ${store.name}`, () => {
    let j: Journal;
    before(async () => {
      j = await store.open();
    });
    after(async () => {
      await j.close();
      await store.cleanup();
    });

    test('a delivery is journaled with one queued run per matched recipe; its repeat is a duplicate with the same runs', async () => {
      const first = await j.accept(delivery('d-1'));
      assert.equal(first.duplicate, false);
      assert.equal(first.verdict, 'accepted');
      assert.deepEqual(
        first.runs.map((r) => [r.workflowId, r.state, r.duplicate]),
        [
          ['a/shop/d-1', 'queued', false],
          ['b/shop/d-1', 'queued', false],
        ],
      );
      const again = await j.accept(delivery('d-1'));
      assert.equal(again.duplicate, true);
      assert.equal(again.verdict, 'duplicate');
      assert.equal(again.deliverySeq, first.deliverySeq);
      assert.deepEqual(
        again.runs.map((r) => [r.workflowId, r.state, r.duplicate]),
        [
          ['a/shop/d-1', 'queued', true],
          ['b/shop/d-1', 'queued', true],
        ],
      );
      const logged = await j.getRequest(again.requestId);
      assert.equal(logged?.verdict, 'duplicate');
    });

    test('the same delivery arriving concurrently is journaled once (one accepted, the rest duplicates)', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, () => j.accept(delivery('d-race'))));
      assert.equal(results.filter((r) => !r.duplicate).length, 1);
      assert.equal(new Set(results.map((r) => r.deliverySeq)).size, 1);
      for (const r of results.filter((x) => x.duplicate)) assert.equal(r.runs.length, 2, 'a duplicate shows the runs of the original');
    });

    test('a delivery no recipe matches is journaled as no_match (it can be replayed later) and starts nothing', async () => {
      const r = await j.accept(delivery('d-nomatch', []));
      assert.equal(r.verdict, 'no_match');
      assert.deepEqual(r.runs, []);
      const detail = await j.getRequest(r.requestId);
      assert.equal(detail?.verdict, 'no_match');
      assert.deepEqual(detail?.triggerEvent?.body, { id: 'd-nomatch' });
    });

    test('claims hand out queued runs oldest first, each to one claimant until its lease ends', async () => {
      // Drain what earlier tests queued.
      while ((await j.claim('drain', 100, 60_000)).length > 0);
      for (const id of ['c-1', 'c-2', 'c-3']) await j.accept(delivery(id, [recipeA]));
      const first = await j.claim('p1', 2, 60_000);
      assert.deepEqual(
        first.map((c) => c.workflowId),
        ['a/shop/c-1', 'a/shop/c-2'],
      );
      assert.equal(first[0]!.recipe.name, 'a');
      assert.deepEqual(first[0]!.event.body, { id: 'c-1' });
      assert.equal(first[0]!.attempts, 1);
      const second = await j.claim('p2', 10, 60_000);
      assert.deepEqual(
        second.map((c) => c.workflowId),
        ['a/shop/c-3'],
        'leased runs are not handed out twice',
      );
      // A lease that ends (its process died) makes the run claimable again, with the attempt counted.
      const short = await j.accept(delivery('c-4', [recipeA]));
      assert.equal(short.runs.length, 1);
      const leased = await j.claim('dies', 1, 1);
      assert.deepEqual(
        leased.map((c) => c.workflowId),
        ['a/shop/c-4'],
      );
      await new Promise((r) => setTimeout(r, 20));
      const retaken = await j.claim('p3', 10, 60_000);
      assert.deepEqual(
        retaken.map((c) => [c.workflowId, c.attempts]),
        [['a/shop/c-4', 2]],
      );
    });

    test('outcomes: started and existed leave the queue, retry comes back after its time, failed stays failed', async () => {
      while ((await j.claim('drain', 100, 60_000)).length > 0);
      const before = (await j.stats()).pending;
      for (const id of ['o-1', 'o-2', 'o-3', 'o-4']) await j.accept(delivery(id, [recipeA]));
      assert.equal((await j.stats()).pending, before + 4);
      const claimed = await j.claim('p', 10, 60_000);
      const ids = claimed.map((c) => c.workflowId).filter((w) => w.startsWith('a/shop/o-'));
      assert.equal(ids.length, 4);
      await j.settle([
        { workflowId: 'a/shop/o-1', outcome: 'started' },
        { workflowId: 'a/shop/o-2', outcome: 'existed' },
        { workflowId: 'a/shop/o-3', outcome: 'failed', error: 'INVALID_ARGUMENT: too long' },
        { workflowId: 'a/shop/o-4', outcome: 'retry', error: 'UNAVAILABLE', retryAt: Date.now() + 300 },
      ]);
      const stats = await j.stats();
      assert.equal(stats.pending, before + 1, 'only the retried run is still pending');
      assert.ok(stats.failed >= 1);
      assert.deepEqual(
        (await j.claim('p', 10, 60_000)).map((c) => c.workflowId),
        [],
        'a retried run waits for its time',
      );
      await new Promise((r) => setTimeout(r, 350));
      assert.deepEqual(
        (await j.claim('p', 10, 60_000)).map((c) => c.workflowId),
        ['a/shop/o-4'],
      );
      const log = await j.listRequests({ source: 'shop', limit: 10 });
      const o3 = log.find((r) => r.event?.id === 'o-3');
      assert.equal(o3?.runs[0]?.state, 'failed');
      assert.match(o3?.runs[0]?.error ?? '', /INVALID_ARGUMENT/);
    });

    test('the request log: refused requests too, newest first, filtered by source, verdict and time, paged', async () => {
      const t0 = Date.now();
      await j.record(
        entry({
          source: 'github',
          verdict: 'rejected',
          status: 401,
          error: { code: 'bad_signature', message: 'X-Hub-Signature-256 does not match' },
          body: Buffer.from('junk'),
          bodySize: 4,
        }),
      );
      await j.record(entry({ source: 'github', verdict: 'handshake', status: 200 }));
      const accepted = await j.accept(delivery('l-1', [recipeA]));
      const all = await j.listRequests({ since: t0 });
      assert.deepEqual(
        all.map((r) => r.verdict),
        ['accepted', 'handshake', 'rejected'],
      );
      const refused = await j.listRequests({ verdict: 'rejected', source: 'github' });
      assert.equal(refused[0]?.error?.code, 'bad_signature');
      assert.match(refused[0]?.error?.message ?? '', /X-Hub-Signature-256/);
      const page1 = await j.listRequests({ since: t0, limit: 2 });
      const page2 = await j.listRequests({ since: t0, limit: 2, before: page1[1]!.id });
      assert.deepEqual(
        [...page1, ...page2].map((r) => r.id),
        all.map((r) => r.id),
      );
      const detail = await j.getRequest(accepted.requestId);
      assert.equal(detail?.source, 'shop');
      assert.equal(detail?.body.toString(), '{"id":"l-1"}');
      assert.equal(detail?.headers['content-type'], 'application/json');
      assert.equal(detail?.runs[0]?.workflowId, 'a/shop/l-1');
      assert.equal(await j.getRequest('01ARZ3NDEKTSV4RRFFQ69G5FAV'), undefined);
    });

    test('a run carries the recipe as it was when its webhook arrived, without its tests', async () => {
      while ((await j.claim('drain', 100, 60_000)).length > 0);
      const v1: Recipe = { ...recipeA, name: 'versioned', steps: [{ log: 'v1' }] };
      const v2: Recipe = { ...recipeA, name: 'versioned', steps: [{ log: 'v2' }] };
      await j.accept(delivery('v-1', [v1, recipeB]));
      await j.accept(delivery('v-2', [v2]));
      const claimed = await j.claim('p', 10, 60_000);
      const byId = new Map(claimed.map((c) => [c.workflowId, c.recipe]));
      assert.deepEqual(byId.get('versioned/shop/v-1')?.steps, [{ log: 'v1' }]);
      assert.deepEqual(byId.get('versioned/shop/v-2')?.steps, [{ log: 'v2' }]);
      assert.equal(byId.get('b/shop/v-1')?.tests, undefined);
    });

    test('pruning removes finished requests past retention and never a queued run', async () => {
      const old = Date.now() - 10 * 86_400_000;
      const finished = await j.accept(delivery('p-old-done', [recipeA], old));
      const waiting = await j.accept(delivery('p-old-queued', [recipeB], old));
      await j.record(entry({ receivedAt: old, verdict: 'rejected', status: 401, error: { code: 'bad_signature', message: 'x' } }));
      await j.settle([{ workflowId: 'a/shop/p-old-done', outcome: 'started' }]);
      const deleted = await j.prune(Date.now() - 7 * 86_400_000);
      assert.ok(deleted >= 2, `deleted ${deleted}`);
      assert.equal(await j.getRequest(finished.requestId), undefined);
      const kept = await j.getRequest(waiting.requestId);
      assert.equal(kept?.runs[0]?.state, 'queued', 'a queued run and its request stay');
      // Its dedupe record stays too: a late retry of the queued delivery is still a duplicate.
      assert.equal((await j.accept(delivery('p-old-queued', [recipeB]))).duplicate, true);
    });
  });
}

describe('SQLite journal specifics', () => {
  test('concurrent deliveries share commits (group commit)', async () => {
    const j = SqliteJournal.open(path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-gc-')), 'intake.db'));
    try {
      const before = j.commits;
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => j.accept(delivery(`g-${i}`, [recipeA]))));
      assert.equal(results.filter((r) => !r.duplicate).length, 200);
      const commits = j.commits - before;
      assert.ok(commits <= 5, `200 concurrent deliveries took ${commits} commits`);
    } finally {
      await j.close();
    }
  });

  test('a journal reopened after close still has what was committed (durable file)', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-reopen-')), 'intake.db');
    const a = SqliteJournal.open(file);
    const r = await a.accept(delivery('r-1', [recipeA]));
    await a.close();
    const b = SqliteJournal.open(file);
    try {
      assert.equal((await b.getRequest(r.requestId))?.verdict, 'accepted');
      assert.equal((await b.accept(delivery('r-1', [recipeA]))).duplicate, true);
      assert.deepEqual(
        (await b.claim('p', 10, 1000)).map((c) => c.workflowId),
        ['a/shop/r-1'],
      );
    } finally {
      await b.close();
    }
  });
});

describe('PostgreSQL journal specifics', () => {
  test('two processes claiming at once never get the same run', async () => {
    const db = await createTestDatabase('claims');
    const [a, b] = [await PgJournal.connect(db.url), await PgJournal.connect(db.url)];
    try {
      await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).accept(delivery(`pc-${i}`, [recipeA]))));
      const seen: string[] = [];
      const drain = async (j: Journal, owner: string): Promise<void> => {
        for (;;) {
          const got = await j.claim(owner, 7, 60_000);
          if (got.length === 0) return;
          seen.push(...got.map((c) => c.workflowId));
        }
      };
      await Promise.all([drain(a, 'a1'), drain(a, 'a2'), drain(b, 'b1'), drain(b, 'b2')]);
      assert.equal(seen.length, 300);
      assert.equal(new Set(seen).size, 300, 'no run was claimed twice');
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });

  test('a delivery journaled by one process wakes the other (LISTEN/NOTIFY)', async () => {
    const db = await createTestDatabase('notify');
    const [a, b] = [await PgJournal.connect(db.url), await PgJournal.connect(db.url)];
    try {
      const woke = new Promise<number>((resolve) => {
        const t0 = Date.now();
        b.onQueued(() => resolve(Date.now() - t0));
      });
      await a.accept(delivery('n-1', [recipeA]));
      // Without the notification, b would hear of the delivery only from its next poll (none runs here).
      await Promise.race([woke, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no notification within 30 s')), 30_000))]);
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });
});
