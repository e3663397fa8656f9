// The admin access rule (spec §6) on a running hookflow: /metrics, /codec/* and the worker's own
// METRICS_PORT server answer loopback clients only while HOOKFLOW_ADMIN_TOKEN is unset, and every
// caller must send the token once it is set. Calls "from elsewhere" go out of this machine's own
// non-loopback address (the server listens on all interfaces), so the socket really is not loopback.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { adminAccess, isLoopbackAddress } from '../../src/ingress/admin-access.js';
import { startHookflow } from '../../src/app/hookflow.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { freePort, startTestHookflow, temporalAddress, uniqueTaskQueue, unsignedSource } from '../helpers/hookflow.js';

/** An IPv4 address of this machine that is not loopback, if it has one. */
function outsideAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}
const OUTSIDE = outsideAddress();
const noOutside = OUTSIDE === undefined ? 'this machine has no non-loopback IPv4 address to call from' : false;

type Hf = Awaited<ReturnType<typeof startTestHookflow>>;
const portOf = (hf: Hf): string => new URL(hf.url).port;
const outside = (hf: Hf, path: string): string => `http://${OUTSIDE}:${portOf(hf)}${path}`;

async function call(url: string, init: RequestInit = {}): Promise<{ status: number; code?: string; message?: string; text: string }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let error: { code?: string; message?: string } | undefined;
  try {
    error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
  } catch {
    error = undefined;
  }
  return { status: res.status, code: error?.code, message: error?.message, text };
}

const decodeBody = JSON.stringify({ payloads: [] });
const post = (headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: decodeBody,
});
const RECIPES = { 'sources.yaml': unsignedSource('open'), 'r.yaml': 'name: r\non: { source: open, event: go }\nsteps:\n  - log: hi\n' };

test('isLoopbackAddress: 127.0.0.0/8, ::1 and IPv4-mapped loopback; nothing else', () => {
  for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '::ffff:7f00:2']) assert.equal(isLoopbackAddress(a), true, a);
  for (const a of ['10.0.0.1', '192.0.2.2', '::ffff:10.0.0.1', 'fd00::2', '::', '0.0.0.0', '', undefined, 'not-an-ip'])
    assert.equal(isLoopbackAddress(a), false, String(a));
});

test('the middleware is reusable on its own: a bare handler with no token, then with one', () => {
  const answer = (mw: ReturnType<typeof adminAccess>, remoteAddress: string, headers: Record<string, string> = {}) => {
    let status = 0;
    let passed = false;
    const res = {
      statusCode: 0,
      setHeader() {},
      end() {
        status = this.statusCode;
      },
    };
    mw({ method: 'GET', url: '/api/requests', headers, socket: { remoteAddress } } as never, res as never, () => (passed = true));
    return passed ? 'next' : status;
  };
  const open = adminAccess({});
  assert.equal(answer(open, '127.0.0.1'), 'next');
  assert.equal(answer(open, '10.1.2.3'), 403);
  assert.equal(answer(open, '127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }), 403, 'a proxy on this machine relays others');
  const locked = adminAccess({ HOOKFLOW_ADMIN_TOKEN: 's3cret' });
  assert.equal(answer(locked, '127.0.0.1'), 401, 'loopback included');
  assert.equal(answer(locked, '127.0.0.1', { authorization: 'Bearer nope' }), 401);
  assert.equal(answer(locked, '10.1.2.3', { authorization: 'Bearer s3cret' }), 'next');
});

describe('HOOKFLOW_ADMIN_TOKEN unset: loopback clients only', { skip: noOutside }, () => {
  let hf: Hf;
  before(async () => {
    hf = await startTestHookflow({
      recipes: RECIPES,
      env: { HOOKFLOW_CODEC_KEYS: `k1:${randomBytes(32).toString('base64')}` },
      roles: { ingress: true, worker: false },
    });
  });
  after(async () => hf?.stop());

  test('/metrics: 200 on loopback, 403 from another address naming HOOKFLOW_ADMIN_TOKEN', async () => {
    assert.equal((await call(`${hf.url}/metrics`)).status, 200);
    const far = await call(outside(hf, '/metrics'));
    assert.equal(far.status, 403, far.text);
    assert.equal(far.code, 'admin_loopback_only');
    assert.match(far.message ?? '', /HOOKFLOW_ADMIN_TOKEN/);
    assert.ok(far.message?.includes(OUTSIDE!), far.message);
  });

  test('/console and /api/console/*: served on loopback, 403 from another address', async () => {
    assert.equal((await call(`${hf.url}/console`)).status, 200);
    for (const p of ['/console', '/console/app.js', '/api/console/overview']) {
      const far = await call(outside(hf, p));
      assert.equal(far.status, 403, `${p}: ${far.text}`);
      assert.equal(far.code, 'admin_loopback_only');
    }
  });

  test('a loopback request relayed by a proxy (X-Forwarded-For) counts as remote', async () => {
    const relayed = await call(`${hf.url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    assert.equal(relayed.status, 403, relayed.text);
  });

  test('/codec/decode: decrypts for loopback only; a CORS preflight still gets its answer', async () => {
    assert.equal((await call(`${hf.url}/codec/decode`, post())).status, 200);
    const far = await call(outside(hf, '/codec/decode'), post());
    assert.equal(far.status, 403, far.text);
    const preflight = await fetch(outside(hf, '/codec/decode'), {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 204);
  });

  test('trigger URLs and /healthz are never behind the rule', async () => {
    const hook = await call(outside(hf, '/hooks/open'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'other', id: 'x' }),
    });
    assert.equal(hook.status, 200, hook.text);
    const health = await call(outside(hf, '/healthz'));
    assert.notEqual(health.status, 403, health.text);
    assert.notEqual(health.status, 401, health.text);
  });
});

describe('HOOKFLOW_ADMIN_TOKEN set: every caller sends it, loopback included', { skip: noOutside }, () => {
  const TOKEN = 'admin-token-for-tests';
  const CODEC_TOKEN = 'codec-only-token';
  let hf: Hf;
  before(async () => {
    hf = await startTestHookflow({
      recipes: RECIPES,
      env: { HOOKFLOW_ADMIN_TOKEN: TOKEN, HOOKFLOW_CODEC_AUTH_TOKEN: CODEC_TOKEN, HOOKFLOW_CODEC_KEYS: `k1:${randomBytes(32).toString('base64')}` },
      roles: { ingress: true, worker: false },
    });
  });
  after(async () => hf?.stop());

  test('/metrics: 401 without or with a wrong token (loopback too), 200 with it from anywhere', async () => {
    const none = await call(`${hf.url}/metrics`);
    assert.equal(none.status, 401, none.text);
    assert.equal(none.code, 'unauthorized');
    assert.match(none.message ?? '', /Authorization: Bearer <token>.*HOOKFLOW_ADMIN_TOKEN/);
    assert.equal((await call(`${hf.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await call(`${hf.url}/metrics`, { headers: { authorization: `Bearer ${CODEC_TOKEN}` } })).status, 401, 'the codec token is for /codec only');
    assert.equal((await call(`${hf.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    assert.equal((await call(outside(hf, '/metrics'), { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  });

  test('/console and /api/console/*: 401 without the token, loopback included', async () => {
    for (const p of ['/console', '/api/console/overview']) assert.equal((await call(`${hf.url}${p}`)).status, 401, p);
    assert.equal((await call(outside(hf, '/console'), { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  });

  test('a browser signs in to the console once: cookie for GET, and for POST only with X-Hookflow-Console', async () => {
    const page = await fetch(`${hf.url}/console`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/console/login');
    const form = (body: string) =>
      fetch(`${hf.url}/console/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, redirect: 'manual' });
    const wrong = await form('token=nope');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
    const right = await form(`token=${TOKEN}`);
    assert.equal(right.status, 303);
    const cookie = (right.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.match(right.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Strict/);
    assert.equal((await call(`${hf.url}/console`, { headers: { cookie } })).status, 200);
    assert.equal((await call(`${hf.url}/api/console/overview`, { headers: { cookie } })).status, 200);
    const replay = (headers: Record<string, string>) =>
      call(`${hf.url}/api/requests/01NOPE/replay`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
    assert.equal((await replay({ cookie })).status, 401, 'a cross-site form POST carries the cookie but cannot add the header');
    assert.notEqual((await replay({ cookie, 'x-hookflow-console': '1' })).status, 401);
    assert.equal((await call(`${hf.url}/metrics`, { headers: { cookie } })).status, 401, 'the cookie is for the console and its API only');
  });

  test('/codec/decode takes the admin token or the codec token', async () => {
    assert.equal((await call(`${hf.url}/codec/decode`, post())).status, 401);
    assert.equal((await call(outside(hf, '/codec/decode'), post({ authorization: `Bearer ${TOKEN}` }))).status, 200);
    assert.equal((await call(outside(hf, '/codec/decode'), post({ authorization: `Bearer ${CODEC_TOKEN}` }))).status, 200);
  });
});

test("the worker's own METRICS_PORT server follows the same rule", { skip: noOutside }, async () => {
  const port = await freePort();
  const env = { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_TASK_QUEUE: uniqueTaskQueue('admin'), METRICS_PORT: String(port) };
  const worker = await startHookflow(loadConfig(env, process.cwd()), {
    roles: { ingress: false, worker: true },
    logger: createLogger({ LOG_LEVEL: 'silent' }),
  });
  try {
    assert.equal((await call(`http://127.0.0.1:${port}/metrics`)).status, 200);
    const far = await call(`http://${OUTSIDE}:${port}/metrics`);
    assert.equal(far.status, 403, far.text);
    assert.equal(far.code, 'admin_loopback_only');
    assert.equal((await call(`http://${OUTSIDE}:${port}/healthz`)).status, 200, '/healthz is never behind the rule');
  } finally {
    await worker.stop();
  }
});
