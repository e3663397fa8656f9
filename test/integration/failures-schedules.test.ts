// When runs fail, and runs on a schedule — on a real Temporal server:
// - a step failing for good runs the recipe's `on_failure` once (it sees `error`), emits one
//   `run.failed` on the built-in `hookflow` source that an alert recipe receives; an alert recipe
//   that fails itself emits nothing (no loops); the last attempt is counted `failed` in /metrics;
// - `on: { schedule: { every: 4s } }` fires at least twice in 14 s, each fire with its own
//   trigger.id; editing the file changes the Temporal Schedule, deleting it removes the schedule
//   (checked with the Temporal CLI, `temporal schedule list/describe`).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { RunResult } from '../../src/core/types.js';
import { eventually, postJson, resultOf, startTestHookflow, temporalAddress, unsignedSource } from '../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';

const run = promisify(execFile);
const CLI = path.join(process.cwd(), '.hookflow', 'bin', 'temporal');

const recipes = (sink: string) => ({
  'sources.yaml': unsignedSource('shop'),
  'charge.yaml': `
name: charge
on: { source: shop, event: order.paid }
steps:
  - id: capture
    retry: { attempts: 2, initial: 100ms }
    http: { method: POST, url: "${sink}/capture/{{ event.id }}" }
on_failure:
  - http: { method: POST, url: "${sink}/alert", json: { text: "{{ trigger.id }} {{ error.step }} after {{ error.attempts }}: {{ error.message }}" } }
`,
  'alert-all.yaml': `
name: alert-all
on: { source: hookflow, event: run.failed }
steps:
  - http: { method: POST, url: "${sink}/all-failures", json: { recipe: "{{ event.recipe }}", step: "{{ event.error.step }}", workflow: "{{ event.workflow_id }}" } }
`,
  'broken-alert.yaml': `
name: broken-alert
on: { source: hookflow, event: run.failed }
steps:
  - fail: "this alert recipe is broken too"
`,
});

describe('failures and schedules (real Temporal)', () => {
  let sink: HttpSink;
  let hf: Awaited<ReturnType<typeof startTestHookflow>>;
  before(async () => {
    sink = await startSink({
      fallback: (req) => (req.path.startsWith('/capture/') ? { status: 503, body: 'card network down' } : { status: 200, body: { ok: true } }),
    });
    hf = await startTestHookflow({ recipes: recipes(sink.url), hotReload: true });
  });
  after(async () => {
    await hf?.stop();
    await sink?.close();
  });

  test('a step failing for good: on_failure once, one run.failed to the alert recipe, none from a failing alert', async () => {
    const res = await postJson(`${hf.url}/hooks/shop`, { type: 'order.paid', id: 'o-1' });
    assert.equal(res.status, 200);
    const failed = await resultOf<RunResult>(hf.client!.client, 'charge/shop/o-1').then(
      () => undefined,
      (e: Error) => (e.cause as { details?: RunResult[] } | undefined)?.details?.[0],
    );
    assert.equal(failed?.status, 'failed');
    assert.deepEqual(failed?.failure, { step: 'capture', message: failed?.failure?.message, attempts: 2 });
    assert.match(failed?.failure?.message ?? '', /503/);
    await eventually(() => (sink.requests.some((r) => r.path === '/all-failures') ? true : undefined), 30_000, 'the alert recipe to be told');
    await new Promise((r) => setTimeout(r, 3_000)); // room for a wrong second alert
    const alerts = sink.requests.filter((r) => r.path === '/alert');
    assert.equal(alerts.length, 1, 'on_failure ran once');
    assert.match(JSON.parse(alerts[0]!.body).text, /^o-1 capture after 2: .*503/);
    const all = sink.requests.filter((r) => r.path === '/all-failures');
    assert.equal(all.length, 1, 'one run.failed reached the alert recipe: the failing alert recipe emitted none');
    assert.deepEqual(JSON.parse(all[0]!.body), { recipe: 'charge', step: 'capture', workflow: 'charge/shop/o-1' });
    const logged = (await (await fetch(`${hf.url}/api/requests?source=hookflow`)).json()) as {
      requests: Array<{ method: string; event?: { type: string }; runs: Array<{ recipe: string }> }>;
    };
    assert.equal(logged.requests.length, 1, 'the run.failed event is in the request log');
    assert.equal(logged.requests[0]?.event?.type, 'run.failed');
    assert.deepEqual(
      logged.requests[0]?.runs.map((r) => r.recipe),
      ['alert-all', 'broken-alert'],
    );
    const metrics = await (await fetch(`${hf.url}/metrics`)).text();
    assert.match(metrics, /hookflow_step_attempts_total\{kind="http",outcome="retry"\} 1/);
    assert.match(metrics, /hookflow_step_attempts_total\{kind="http",outcome="failed"\} 1/);
    assert.equal((await postJson(`${hf.url}/hooks/hookflow`, { type: 'run.failed' })).status, 404, 'the built-in source has no trigger URL');
  });

  test('a schedule every 4 s fires, each time with its own trigger.id; editing the file changes it; deleting it removes the schedule', async () => {
    const id = `hookflow/${hf.config.taskQueue}/tick`;
    const cli = (...args: string[]) => run(CLI, [...args, '--address', temporalAddress(), '--output', 'json'], { maxBuffer: 10 * 1024 * 1024 });
    const file = path.join(hf.config.recipesDir, 'tick.yaml');
    writeFileSync(
      file,
      `name: tick\non: { schedule: { every: 4s } }\nsteps:\n  - http: { method: POST, url: "${sink.url}/tick", json: { at: "{{ trigger.id }}", source: "{{ trigger.source }}" } }\n`,
    );
    await eventually(async () => ((await cli('schedule', 'list')).stdout.includes(id) ? true : undefined), 15_000, 'the schedule to be created');
    await eventually(() => (sink.requests.filter((r) => r.path === '/tick').length >= 2 ? true : undefined), 60_000, 'two fires');
    const ticks = sink.requests.filter((r) => r.path === '/tick').map((r) => JSON.parse(r.body) as { at: string; source: string });
    assert.equal(ticks[0]?.source, 'schedule');
    assert.equal(new Set(ticks.map((t) => t.at)).size, ticks.length, 'each fire has its own trigger.id');
    assert.ok(
      ticks.every((t) => !Number.isNaN(Date.parse(t.at))),
      'trigger.id is the fire time',
    );

    writeFileSync(file, `name: tick\non: { schedule: "*/5 * * * *", timezone: Asia/Shanghai }\nsteps:\n  - log: tock\n`);
    await eventually(
      async () => {
        const d = JSON.parse((await cli('schedule', 'describe', '--schedule-id', id)).stdout) as {
          schedule?: { spec?: { cronString?: string[]; structuredCalendar?: unknown[]; timezoneName?: string } };
        };
        return d.schedule?.spec?.timezoneName === 'Asia/Shanghai' ? d : undefined;
      },
      15_000,
      'the schedule to follow the edit',
    );

    rmSync(file);
    await eventually(async () => (!(await cli('schedule', 'list')).stdout.includes(id) ? true : undefined), 15_000, 'the schedule to be removed');
  });
});
