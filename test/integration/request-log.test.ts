// The request log, end to end on a real Temporal server: every request to a trigger URL is recorded
// with its verdict and reason (refused ones too, credentials dropped), read through /api and the
// `hookflow requests` CLI, and replayed one at a time or in bulk (--dry-run, --failed).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { RunResult } from '../../src/core/types.js';
import { eventually, postJson, resultOf, startTestHookflow } from '../helpers/hookflow.js';

const run = promisify(execFile);
const SECRET = 'orders-secret';
const TOKEN = 'admin-token-for-tests';

const sources = `
sources:
  orders:
    provider: generic
    verify: { hmac: sha256, header: X-Signature, encoding: hex, prefix: "sha256=", secret: "\${ORDERS_SECRET}" }
    event: body.type
    id: body.id
  tokened:
    provider: generic
    verify: { token: { query: key }, secret: "query-key" }
    event: body.type
    id: body.id
`;

const recipes = {
  'sources.yaml': sources,
  'ship.yaml': 'name: ship\non: { source: orders, event: order.paid }\nsteps:\n  - log: "ship {{ event.id }}"\n',
  'flaky.yaml': 'name: flaky\non: { source: orders, event: order.flaky }\nsteps:\n  - fail: "the warehouse said no to {{ event.id }}"\n',
  'audit.yaml': 'name: audit\non: { source: tokened, event: audit }\nsteps:\n  - log: audited\n',
};

function signed(body: object): [object, Record<string, string>] {
  const sig = createHmac('sha256', SECRET).update(JSON.stringify(body)).digest('hex');
  return [body, { 'x-signature': `sha256=${sig}`, 'x-trace': 'kept' }];
}

describe('request log: every request recorded, read and replayed (real Temporal)', () => {
  let hf: Awaited<ReturnType<typeof startTestHookflow>>;
  const admin = { authorization: `Bearer ${TOKEN}` };
  const get = async (path: string) => {
    const res = await fetch(`${hf.url}${path}`, { headers: admin });
    return { status: res.status, json: (await res.json()) as any };
  };
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${hf.url}${path}`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as any };
  };
  const ids: Record<string, string> = {};

  before(async () => {
    hf = await startTestHookflow({ recipes, env: { ORDERS_SECRET: SECRET, HOOKFLOW_ADMIN_TOKEN: TOKEN, TEMPORAL_UI_URL: 'http://temporal-ui.test:8080/' } });
    const send = async (name: string, p: Promise<{ status: number; headers: Headers }>) => {
      const r = await p;
      ids[name] = r.headers.get('x-hookflow-request') ?? '';
      return r;
    };
    await send('accepted', postJson(`${hf.url}/hooks/orders`, ...signed({ type: 'order.paid', id: 'o-1' })));
    await send('duplicate', postJson(`${hf.url}/hooks/orders`, ...signed({ type: 'order.paid', id: 'o-1' })));
    await send('noMatch', postJson(`${hf.url}/hooks/orders`, ...signed({ type: 'order.viewed', id: 'o-2' })));
    await send('forged', postJson(`${hf.url}/hooks/orders`, { type: 'order.paid', id: 'o-3' }, { 'x-signature': 'sha256=00' }));
    await send('unknown', postJson(`${hf.url}/hooks/nowhere`, { type: 'x' }));
    await send('failing', postJson(`${hf.url}/hooks/orders`, ...signed({ type: 'order.flaky', id: 'o-4' })));
    await send('tokened', postJson(`${hf.url}/hooks/tokened?key=query-key&page=2`, { type: 'audit', id: 'a-1' }, { authorization: 'Basic c2VjcmV0' }));
    await resultOf(hf.client!.client, 'ship/orders/o-1');
    await resultOf(hf.client!.client, 'flaky/orders/o-4').catch(() => undefined);
  });
  after(async () => {
    await hf?.stop();
  });

  test('the admin rule: /api needs the token when HOOKFLOW_ADMIN_TOKEN is set, loopback included', async () => {
    assert.equal((await fetch(`${hf.url}/api/requests`)).status, 401);
    assert.equal((await fetch(`${hf.url}/api/requests`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(`${hf.url}/api/requests`, { headers: admin })).status, 200);
  });

  test('every request is listed, newest first, with its verdict and the reason of a refusal', async () => {
    const { json } = await get('/api/requests?limit=50');
    const byId = new Map<string, any>(json.requests.map((r: any) => [r.id, r]));
    assert.equal(byId.get(ids.accepted!)?.verdict, 'accepted');
    assert.deepEqual(
      byId.get(ids.accepted!)?.runs.map((r: any) => [r.workflowId, r.state]),
      [['ship/orders/o-1', 'started']],
    );
    assert.equal(byId.get(ids.accepted!)?.runs[0].url, 'http://temporal-ui.test:8080/namespaces/default/workflows/ship%2Forders%2Fo-1');
    assert.equal(byId.get(ids.duplicate!)?.verdict, 'duplicate');
    assert.equal(byId.get(ids.noMatch!)?.verdict, 'no_match');
    assert.equal(byId.get(ids.forged!)?.verdict, 'rejected');
    assert.equal(byId.get(ids.forged!)?.status, 401);
    assert.equal(byId.get(ids.forged!)?.error.code, 'bad_signature');
    assert.equal(byId.get(ids.unknown!)?.status, 404);
    assert.equal(byId.get(ids.unknown!)?.error.code, 'unknown_source');
    const times = json.requests.map((r: any) => r.id);
    assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
  });

  test('filters: source, verdict and since', async () => {
    // Exactly the requests sent in before() that fit the filter: an empty answer fails too.
    const listed = async (query: string) => ((await get(`/api/requests?${query}`)).json.requests as Array<{ id: string }>).map((r) => r.id).sort();
    const sent = (...names: string[]) => names.map((n) => ids[n]!).sort();
    assert.deepEqual(await listed('verdict=rejected'), sent('forged', 'unknown'));
    assert.deepEqual(await listed('source=orders'), sent('accepted', 'duplicate', 'noMatch', 'forged', 'failing'));
    assert.equal((await get('/api/requests?since=1ms')).json.requests.length, 0);
    assert.equal((await get('/api/requests?verdict=maybe')).status, 400);
    assert.equal((await get('/api/requests?since=yesterday')).status, 400);
  });

  test('one request: headers without credentials, the body, why each recipe matched or not, and its runs', async () => {
    const { json } = await get(`/api/requests/${ids.accepted}`);
    assert.equal(json.headers['x-trace'], 'kept');
    assert.equal(json.headers['x-signature'], undefined, 'the signature header is not stored');
    assert.deepEqual(JSON.parse(json.body.data), { type: 'order.paid', id: 'o-1' });
    assert.deepEqual(
      json.explanation.map((e: any) => [e.recipe, e.matched]),
      [
        ['flaky', false],
        ['ship', true],
      ],
      'the recipes of the source, in file order',
    );
    assert.match(json.explanation[0].reason, /order\.paid/);

    const tok = (await get(`/api/requests/${ids.tokened}`)).json;
    assert.equal(tok.path, '/hooks/tokened?page=2', 'the query token is dropped from the logged path');
    assert.equal(tok.headers.authorization, undefined);
    assert.equal(tok.triggerEvent.query.key, undefined);

    const forged = (await get(`/api/requests/${ids.forged}`)).json;
    assert.match(forged.error.message, /X-Signature/i);
    assert.deepEqual(JSON.parse(forged.body.data), { type: 'order.paid', id: 'o-3' }, 'a refused body is kept (its first 64 KiB)');
    assert.equal((await get('/api/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV')).status, 404);
  });

  test('replay one request: a new run marked as a replay; a refused request cannot be replayed', async () => {
    const r = await post(`/api/requests/${ids.accepted}/replay`, {});
    assert.equal(r.status, 202, JSON.stringify(r.json));
    const wid: string = r.json.runs[0].workflowId;
    assert.match(wid, /^ship\/orders\/o-1\/replay-\d{8}T\d+Z$/);
    const result = await resultOf<RunResult>(hf.client!.client, wid);
    assert.equal(result.logs[0]?.message, 'ship o-1');
    const desc = await hf.client!.client.workflow.getHandle(wid).describe();
    assert.equal(desc.memo?.replay_of, 'ship/orders/o-1');
    const logged = (await get(`/api/requests/${r.json.request}`)).json;
    assert.equal(logged.replayOf, ids.accepted);

    const refused = await post(`/api/requests/${ids.forged}/replay`, {});
    assert.equal(refused.status, 409);
    assert.equal(refused.json.error.code, 'not_replayable');
    // A no_match request replayed after a recipe for it exists would start it; now it starts nothing.
    const none = await post(`/api/requests/${ids.noMatch}/replay`, {});
    assert.deepEqual(none.json.runs, []);
  });

  test('bulk replay: --dry-run lists, --failed takes only the requests whose runs failed', async () => {
    const dry = await post('/api/replay', { source: 'orders', dry_run: true });
    assert.equal(dry.status, 200);
    assert.deepEqual(dry.json.items.map((i: any) => i.event.id).sort(), ['o-1', 'o-4']);
    const failed = await eventually(
      async () => {
        const res = await post('/api/replay', { source: 'orders', failed: true, dry_run: true });
        return res.json.count === 1 ? res : undefined;
      },
      20_000,
      'Temporal visibility to list the failed run',
    );
    assert.deepEqual(
      failed.json.items.map((i: any) => [i.event.id, i.recipes]),
      [['o-4', ['flaky']]],
    );
    const real = await post('/api/replay', { source: 'orders', failed: true });
    assert.equal(real.status, 202);
    const wid: string = real.json.items[0].replay.runs[0].workflowId;
    assert.match(wid, /^flaky\/orders\/o-4\/replay-/);
    await assert.rejects(resultOf(hf.client!.client, wid), (err: Error) =>
      /the warehouse said no to o-4/.test(String((err.cause as Error | undefined)?.message)),
    );
  });

  test('the CLI: hookflow requests, requests show and replay --request against the running hookflow', async () => {
    const env = { ...process.env, HOOKFLOW_URL: hf.url, HOOKFLOW_ADMIN_TOKEN: TOKEN };
    const list = await run(process.execPath, ['bin/hookflow.mjs', 'requests', '--source', 'orders', '--verdict', 'rejected'], { env });
    assert.match(list.stdout, /REQUEST\s+TIME\s+SOURCE\s+VERDICT/);
    assert.match(list.stdout, new RegExp(`${ids.forged}.*orders.*rejected.*401.*bad_signature`));
    const json = JSON.parse((await run(process.execPath, ['bin/hookflow.mjs', 'requests', '--json', '--limit', '3'], { env })).stdout) as unknown[];
    assert.equal(json.length, 3);
    const show = await run(process.execPath, ['bin/hookflow.mjs', 'requests', 'show', ids.accepted!], { env });
    assert.match(show.stdout, /verdict\s+accepted → 200/);
    assert.match(show.stdout, /✓ ship/);
    assert.match(show.stdout, /· flaky: event type "order\.paid" is not in "order\.flaky"/);
    assert.match(show.stdout, /ship\/orders\/o-1\s+started/);
    const replay = await run(process.execPath, ['bin/hookflow.mjs', 'replay', '--request', ids.accepted!], { env });
    assert.match(replay.stdout, /replayed \S+ → ship\/orders\/o-1\/replay-\S+ \(queued\)/);
    const bad = await run(process.execPath, ['bin/hookflow.mjs', 'requests'], { env: { ...env, HOOKFLOW_ADMIN_TOKEN: 'nope' } }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal((bad as { code: number }).code, 1);
    assert.match((bad as { stderr: string }).stderr, /401 unauthorized/);
  });
});
