// A run as an operator finds it in the Temporal Web UI: a dev server with the UI, hookflow against
// it, one webhook, then headless Chromium (Debian's, driven by playwright-core) opens the workflow
// list filtered by `HookflowRecipe="…"` and the run's page. Screenshots go to docs/img/ when
// HOOKFLOW_UPDATE_SCREENSHOTS=1, else to a temp folder.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunResult } from '../../src/core/types.js';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { eventually, freePort, postJson, startTestHookflow, unsignedSource, resultOf, startedRun } from '../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';

const CHROMIUM = '/usr/bin/chromium';
const INSTALL_HINT = 'run `bash scripts/install-chromium.sh` (as root: apt-get install chromium, npm install playwright-core)';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const shotDir = process.env.HOOKFLOW_UPDATE_SCREENSHOTS === '1' ? path.resolve('docs/img') : mkdtempSync(path.join(tmpdir(), 'hookflow-ui-'));

const sources = unsignedSource('shop');

const recipes = (sink: string): Record<string, string> => ({
  'sources.yaml': sources,
  'order-to-warehouse.yaml': `
name: order-to-warehouse
on: { source: shop, event: order.created }
steps:
  - id: notify
    name: tell the warehouse
    retry: { attempts: 3, initial: 200ms }
    http: { method: POST, url: "${sink}/warehouse/orders", json: { order: "{{ event.id }}", items: "{{ event.items }}" } }
  - id: receipt
    name: record the receipt
    http: { method: POST, url: "${sink}/ledger", json: { order: "{{ event.id }}", total: "{{ event.total }}" } }
`,
  'refund-log.yaml': `
name: refund-log
on: { source: shop, event: order.refunded }
steps:
  - http: { method: POST, url: "${sink}/refunds", json: { order: "{{ event.id }}" } }
`,
});

/** The UI renders client-side: wait until `want` shows; with `reload`, reload between tries (visibility lags). */
async function waitForText(page: Page, want: string, what: string, reload = false): Promise<void> {
  let tries = 0;
  await eventually(
    async () => {
      if (reload && tries++ > 0) await page.reload({ waitUntil: 'domcontentloaded' });
      try {
        await page
          .getByText(want, { exact: false })
          .first()
          .waitFor({ state: 'visible', timeout: reload ? 4_000 : 15_000 });
        return true;
      } catch {
        return undefined;
      }
    },
    30_000,
    what,
  );
}

describe('a run in the Temporal Web UI (headless Chromium)', () => {
  let dev: DevServer | undefined;
  let sink: HttpSink | undefined;
  let hf: Awaited<ReturnType<typeof startTestHookflow>> | undefined;
  let browser: Browser | undefined;
  let uiUrl = '';
  let orderRun = { workflowId: '', runId: '' };
  let refundRun = '';

  before(async () => {
    // Fail, not skip: a UI story nobody checks rots.
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: ${INSTALL_HINT}`);
    let chromium: typeof import('playwright-core').chromium;
    try {
      ({ chromium } = await import('playwright-core'));
    } catch (err) {
      throw new Error(`playwright-core does not load (${String(err)}): ${INSTALL_HINT}`, { cause: err });
    }

    dev = await startDevServer({ home: process.cwd(), port: await freePort(), uiPort: await freePort(), log: () => {} });
    assert.ok(dev.uiUrl, 'the dev server was started with a UI port but reports no UI URL');
    uiUrl = dev.uiUrl;

    let warehouseCalls = 0;
    sink = await startSink({
      // The warehouse flaps once, so the run's history shows a retried activity.
      fallback: (req) => (req.path === '/warehouse/orders' && ++warehouseCalls === 1 ? { status: 503, body: 'busy' } : { status: 200, body: { ok: true } }),
    });
    hf = await startTestHookflow({ address: dev.address, recipes: recipes(sink.url) });

    const order = await postJson(`${hf.url}/hooks/shop`, { type: 'order.created', id: 'ord-1042', items: 3, total: '59.90' });
    assert.equal(order.status, 200, JSON.stringify(order.json));
    const refund = await postJson(`${hf.url}/hooks/shop`, { type: 'order.refunded', id: 'ord-0999' });
    assert.equal(refund.status, 200, JSON.stringify(refund.json));
    const orderId: string = order.json.runs[0].workflowId;
    refundRun = refund.json.runs[0].workflowId;
    assert.equal(orderId, 'order-to-warehouse/shop/ord-1042');

    const handle = await startedRun(hf.client!.client, orderId);
    const result = (await handle.result()) as RunResult;
    assert.equal(result.status, 'completed');
    assert.equal(result.steps.find((s) => s.id === 'notify')?.attempts, 2, 'the warehouse step should have been retried once');
    await resultOf(hf.client!.client, refundRun);
    orderRun = { workflowId: orderId, runId: (await handle.describe()).runId };

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await hf?.stop();
    await sink?.close();
    await dev?.stop();
  });

  test('the workflow list filtered by HookflowRecipe shows the run, and only runs of that recipe', async () => {
    const page = await browser!.newPage({ viewport: { width: 1600, height: 700 } });
    const query = encodeURIComponent('HookflowRecipe="order-to-warehouse"');
    await page.goto(`${uiUrl}/namespaces/default/workflows?query=${query}`, { waitUntil: 'domcontentloaded' });
    // Visibility is eventually consistent: reload until the run is listed.
    await waitForText(page, orderRun.workflowId, `${orderRun.workflowId} in the filtered workflow list`, true);

    const href = `/namespaces/default/workflows/${encodeURIComponent(orderRun.workflowId)}/${orderRun.runId}/history`;
    assert.ok((await page.locator(`a[href="${href}"]`).count()) > 0, `no link to ${href} in the list`);
    const text = await page.innerText('body');
    assert.match(text, /HookflowRecipe\s*=\s*"order-to-warehouse"/, 'the filter chip should show the query');
    assert.ok(!text.includes(refundRun), `the list filtered by recipe also shows ${refundRun}`);
    assert.match(text, /Completed/);
    await page.screenshot({ path: path.join(shotDir, 'ui-workflow-list.png') });
    await page.close();
  });

  test("the run's page tells its story: summary, activity names, step summaries, the retry", async () => {
    const page = await browser!.newPage({ viewport: { width: 1440, height: 1500 } });
    const query = encodeURIComponent(`WorkflowId="${orderRun.workflowId}"`);
    await page.goto(`${uiUrl}/namespaces/default/workflows?query=${query}`, { waitUntil: 'domcontentloaded' });
    await waitForText(page, orderRun.workflowId, 'the run in the list', true);
    // Open it the way a person does: click its id.
    await page.getByRole('link', { name: orderRun.workflowId, exact: true }).first().click();
    await page.waitForURL(/\/history/, { timeout: 15_000 });
    assert.ok(page.url().includes(encodeURIComponent(orderRun.workflowId)), page.url());

    // Each activity's summary is `<step name or path>: <what it does>`.
    await waitForText(page, 'tell the warehouse: POST', 'the summary of the notify step');
    await waitForText(page, 'record the receipt: POST', 'the summary of the receipt step');
    const text = await page.innerText('body');
    assert.match(text, /order-to-warehouse ← shop order\.created/, "the run's static summary");
    assert.match(text, /\bhttp\b/, 'the activity type http');
    assert.match(text, /"attempts": 2/, 'the result shows the retried step');
    assert.match(text, /Completed/);
    await page.screenshot({ path: path.join(shotDir, 'ui-run.png') });
    await page.close();

    for (const name of ['ui-workflow-list.png', 'ui-run.png']) {
      const size = statSync(path.join(shotDir, name)).size;
      assert.ok(size > 20_000, `${name} is only ${size} bytes`);
    }
  });
});
