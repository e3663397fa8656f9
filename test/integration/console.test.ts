// The console (/console) in headless Chromium against a real hookflow: the request log lists an
// accepted delivery and a refused one with its reason; a click opens a request (headers, body, why
// each recipe matched, runs linked to the Temporal UI); Replay starts a new run that really runs;
// "send a test event" is signed as the provider would and lands in the log. Screenshots go to
// docs/img/ when HOOKFLOW_UPDATE_SCREENSHOTS=1, else to a temp folder.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { eventually, postJson, resultOf, startTestHookflow } from '../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';

const CHROMIUM = '/usr/bin/chromium';
const INSTALL_HINT = 'run `bash scripts/install-chromium.sh` (as root: apt-get install chromium, npm install playwright-core)';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const shotDir = process.env.HOOKFLOW_UPDATE_SCREENSHOTS === '1' ? path.resolve('docs/img') : mkdtempSync(path.join(tmpdir(), 'hookflow-console-'));

const SECRET = 'shop-secret-for-the-console-test';
const UI = 'http://temporal-ui.test:8233';

const sign = (body: string): string => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

const recipes = (sink: string): Record<string, string> => ({
  'sources.yaml': `
sources:
  shop:
    provider: generic
    verify: { hmac: sha256, header: X-Signature, encoding: hex, prefix: "sha256=", secret: "\${SHOP_SECRET}" }
    event: body.type
    id: body.id
`,
  'order-to-warehouse.yaml': `
name: order-to-warehouse
on: { source: shop, event: order.created }
steps:
  - http: { method: POST, url: "${sink}/warehouse", json: { order: "{{ event.id }}" } }
  - email: { to: buyer@example.com, subject: "Order {{ event.id }} is on its way", text: thanks }
tests:
  - name: an order goes to the warehouse
    event: { type: order.created, id: ord-test }
    expect:
      actions:
        - http: { url: "${sink}/warehouse" }
        - email: { to: buyer@example.com }
`,
  'refund-log.yaml': `
name: refund-log
on: { source: shop, event: order.refunded }
steps:
  - http: { method: POST, url: "${sink}/refunds", json: { order: "{{ event.id }}" } }
`,
});

async function signedPost(url: string, payload: unknown): Promise<Awaited<ReturnType<typeof postJson>>> {
  const body = JSON.stringify(payload);
  return postJson(url, payload, { 'x-signature': sign(body) });
}

describe('the console (headless Chromium)', () => {
  let sink: HttpSink | undefined;
  let hf: Awaited<ReturnType<typeof startTestHookflow>> | undefined;
  let browser: Browser | undefined;
  let accepted = '';
  let refused = '';

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: ${INSTALL_HINT}`);
    const { chromium } = await import('playwright-core');
    sink = await startSink();
    // The development outbox captures the email (no SMTP server here); http to the loopback sink is allowed and sent.
    hf = await startTestHookflow({
      recipes: recipes(sink.url),
      env: {
        SHOP_SECRET: SECRET,
        TEMPORAL_UI_URL: UI,
        HOOKFLOW_OUTBOX: '1',
        HOOKFLOW_OUTBOX_FILE: path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-console-outbox-')), 'outbox.jsonl'),
      },
    });

    const ok = await signedPost(`${hf.url}/hooks/shop`, { type: 'order.created', id: 'ord-1042', items: 3 });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    accepted = ok.json.request;
    await resultOf(hf.client!.client, ok.json.runs[0].workflowId);
    // Signed with the wrong secret: refused with 401 and a reason.
    const bad = await postJson(`${hf.url}/hooks/shop`, { type: 'order.created', id: 'ord-6666' }, { 'x-signature': 'sha256=' + '0'.repeat(64) });
    assert.equal(bad.status, 401, JSON.stringify(bad.json));
    refused = bad.headers.get('x-hookflow-request') ?? '';
    assert.ok(refused, 'the refusal names its request id');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await hf?.stop();
    await sink?.close();
  });

  async function openConsole(hash = ''): Promise<Page> {
    const page = await browser!.newPage({ viewport: { width: 1500, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const res = await page.goto(`${hf!.url}/console${hash}`, { waitUntil: 'domcontentloaded' });
    assert.equal(res?.status(), 200);
    assert.match(res?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
    (page as Page & { errors?: string[] }).errors = errors;
    return page;
  }

  test('the request log lists the accepted request and the refused one with its reason', async () => {
    const page = await openConsole();
    const rows = page.locator('table[data-test="requests"] tr.row');
    await eventually(async () => ((await rows.count()) >= 2 ? true : undefined), 15_000, 'two rows in the request log');
    const okRow = page.locator(`tr[data-request="${accepted}"]`);
    const badRow = page.locator(`tr[data-request="${refused}"]`);
    assert.equal(await page.getByText('Loading the hookflow console').count(), 0, 'the placeholder is replaced');
    assert.match(await okRow.innerText(), /accepted[\s\S]*order\.created[\s\S]*ord-1042/);
    const badText = await badRow.innerText();
    assert.match(badText, /rejected/);
    assert.match(badText, /401/);
    assert.match(badText, /bad_signature|signature/i, badText);
    // Filter: only refused requests.
    await page.selectOption('select[aria-label="verdict"]', 'rejected');
    await eventually(
      async () => ((await page.locator(`tr[data-request="${accepted}"]`).count()) === 0 ? true : undefined),
      10_000,
      'the accepted row to be filtered out',
    );
    assert.equal(await page.locator(`tr[data-request="${refused}"]`).count(), 1);
    await page.selectOption('select[aria-label="verdict"]', '');
    await page.locator(`tr[data-request="${accepted}"]`).waitFor();
    await page.screenshot({ path: path.join(shotDir, 'console-requests.png') });
    assert.ok(statSync(path.join(shotDir, 'console-requests.png')).size > 20_000);
    assert.deepEqual((page as Page & { errors?: string[] }).errors, []);
    await page.close();
  });

  test('open a request, press Replay, see the new run (and it really runs)', async () => {
    const page = await openConsole();
    await page.locator(`tr[data-request="${accepted}"]`).click();
    const detail = page.locator('[data-test="detail"]');
    await detail.waitFor();
    const text = await detail.innerText();
    assert.match(text, /content-type/, 'headers shown');
    assert.ok(!text.includes(sign('{"type":"order.created","id":"ord-1042","items":3}')), 'the signature header is not kept');
    assert.match(text, /"id": "ord-1042"/, 'the body, pretty-printed');
    assert.match(text, /✓ order-to-warehouse/, 'why the recipe matched');
    assert.match(text, /refund-log: event type "order\.created" is not in "order\.refunded"/, 'why the other did not');
    const runLink = detail.locator('[data-test="run"] a').first();
    assert.equal(await runLink.getAttribute('href'), `${UI}/namespaces/default/workflows/${encodeURIComponent('order-to-warehouse/shop/ord-1042')}`);
    assert.ok(page.url().endsWith(`#/requests/${accepted}`), page.url());

    await page.locator('[data-test="replay"]').click();
    const replayed = page.locator('[data-test="replayed"]');
    await replayed.waitFor({ timeout: 15_000 });
    const note = await replayed.innerText();
    const newRun = /order-to-warehouse\/shop\/ord-1042\/replay-\S+/.exec(note)?.[0];
    assert.ok(newRun, note);
    const result = await resultOf<{ status: string }>(hf!.client!.client, newRun);
    assert.equal(result.status, 'completed');
    assert.equal(sink!.requests.filter((r) => r.path === '/warehouse').length, 2, 'the warehouse got the original and the replay');
    // The replay is a request of its own in the log, pointing back at the original.
    await eventually(
      async () => ((await page.locator('table[data-test="requests"]').innerText()).includes(`replay of ${accepted}`) ? true : undefined),
      10_000,
      'the replay in the log',
    );
    await page.screenshot({ path: path.join(shotDir, 'console-request.png') });
    await page.close();
  });

  test('a refused request opens with its reason and cannot be replayed', async () => {
    const page = await openConsole(`#/requests/${refused}`);
    const detail = page.locator('[data-test="detail"]');
    await detail.waitFor();
    assert.match(await detail.innerText(), /reason\s+bad_signature|reason\s+\w+: .*signature/i);
    assert.equal(await page.locator('[data-test="replay"]').isDisabled(), true);
    await page.close();
  });

  test('sources show trigger URL and secret status; "send a test event" is signed and journaled', async () => {
    const page = await openConsole('#/sources');
    await page.getByText(`${hf!.config.publicUrl}/hooks/shop`).waitFor();
    assert.match(await page.locator('table').first().innerText(), /shop[\s\S]*set[\s\S]*order-to-warehouse, refund-log/);
    // The form starts with the recipe's own test event.
    assert.match(await page.locator('textarea[aria-label="test body"]').inputValue(), /ord-test/);
    await page.locator('[data-test="send-test"]').click();
    const out = page.locator('[data-test="test-result"]');
    await out.waitFor({ timeout: 15_000 });
    const shown = await out.innerText();
    assert.match(shown, /^200/, shown);
    const id = /open request (\S+)/.exec(shown)?.[1];
    assert.ok(id, shown);
    const res = await fetch(`${hf!.url}/api/requests/${id}`);
    const detail = (await res.json()) as { verdict: string; runs: Array<{ workflowId: string }> };
    assert.equal(detail.verdict, 'accepted');
    assert.equal(detail.runs[0]?.workflowId, 'order-to-warehouse/shop/ord-test');
    await resultOf(hf!.client!.client, 'order-to-warehouse/shop/ord-test');
    await page.close();
  });

  test('the Outbox tab shows what the runs would have sent', async () => {
    const page = await openConsole('#/outbox');
    const table = page.locator('table[data-test="outbox"]');
    await table.waitFor({ timeout: 15_000 });
    const text = await table.innerText();
    assert.match(text, /email[\s\S]*buyer@example\.com[\s\S]*Order ord-1042 is on its way[\s\S]*order-to-warehouse\/shop\/ord-1042/);
    await page.screenshot({ path: path.join(shotDir, 'console-outbox.png') });
    await page.close();
  });

  test('recipes: the tests run from the console', async () => {
    const page = await openConsole('#/recipes');
    await page.getByRole('button', { name: "Run the recipes' tests" }).click();
    await page.getByText('1 passed, 0 failed').waitFor({ timeout: 15_000 });
    assert.match(await page.locator('main').innerText(), /✓ an order goes to the warehouse/);
    await page.close();
  });
});
