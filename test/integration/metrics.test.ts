// What an operator watches: /metrics after accepted, duplicate, refused, unmatched webhooks and runs
// whose steps succeed, retry and fail; and the pino JSON lines about those events. Real Temporal,
// real HTTP sink, hookflow in-process with a logger that writes into this test.
// With HOOKFLOW_UPDATE_SCREENSHOTS=1 the hookflow_* part of the scrape is kept as docs/img/metrics-example.txt.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { startHookflow, type Hookflow } from '../../src/app/hookflow.js';
import { loadConfig } from '../../src/config.js';
import type { RunResult } from '../../src/core/types.js';
import { postJson, recipesDir, temporalAddress, uniqueTaskQueue, resultOf, journalFile } from '../helpers/hookflow.js';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';

const TOKEN = 'let-me-in';

const sources = `
sources:
  shop:
    provider: generic
    verify: none
    event: body.type
    id: body.id
  locked:
    provider: generic
    verify: { token: { header: X-Token }, secret: "${TOKEN}" }
    event: body.type
    id: body.id
`;

const recipes = (sink: string): Record<string, string> => ({
  'sources.yaml': sources,
  'order-alert.yaml': `
name: order-alert
on: { source: shop, event: order.created }
steps:
  - id: notify
    http: { method: POST, url: "${sink}/orders", json: { order: "{{ event.id }}" } }
`,
  'charge.yaml': `
name: charge
on: { source: shop, event: order.paid }
steps:
  - id: capture
    retry: { attempts: 3, initial: 100ms, factor: 1 }
    http: { method: POST, url: "${sink}/charge" }
`,
  'doomed.yaml': `
name: doomed
on: { source: shop, event: order.cancelled }
steps:
  - id: tell
    continue_on_error: true
    http: { method: POST, url: "${sink}/gone" }
`,
  'audit.yaml': `
name: audit
on: { source: locked, event: audit }
steps:
  - log: "audited {{ event.id }}"
`,
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format → samples (comments skipped). */
function parseScrape(body: string): Sample[] {
  const out: Sample[] = [];
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample named `name` whose labels include `labels`; 0 when absent (a counter never incremented). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(hits.length <= 1, `${name}${JSON.stringify(labels)} matches ${hits.length} samples; name every label`);
  return hits[0]?.value ?? 0;
}

type LogLine = Record<string, unknown> & { msg: string; level: number };

describe('metrics and logs of a working hookflow', () => {
  let sink: HttpSink;
  let hf: Hookflow & { url: string };
  const lines: LogLine[] = [];
  let samples: Sample[] = [];
  let scrape = '';
  const answers: Record<string, { status: number; json: any }> = {};
  const results: Record<string, RunResult> = {};

  before(async () => {
    let charges = 0;
    sink = await startSink({
      fallback: (req) => {
        if (req.path === '/charge') return ++charges === 1 ? { status: 503, body: 'try later' } : { status: 200, body: { captured: true } };
        if (req.path === '/gone') return { status: 404, body: 'no such customer' };
        return { status: 200, body: { ok: true } };
      },
    });
    const dir = recipesDir(recipes(sink.url));
    const env = {
      ...process.env,
      PORT: '0',
      RECIPES_DIR: dir,
      HOOKFLOW_JOURNAL_URL: journalFile(),
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('metrics'),
      HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1,::1,localhost',
    };
    // pino writes each line synchronously to a destination that has write(string).
    const logger = pino({ level: 'info', base: { app: 'hookflow' } }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
    const started = await startHookflow(loadConfig(env, process.cwd()), { roles: { ingress: true, worker: true }, logger });
    assert.ok(started.url, 'the ingress did not start');
    hf = started as Hookflow & { url: string };

    const shop = (body: unknown) => postJson(`${hf.url}/hooks/shop`, body);
    answers.accepted = await shop({ type: 'order.created', id: 'A-1' });
    answers.duplicate = await shop({ type: 'order.created', id: 'A-1' });
    answers.noMatch = await shop({ type: 'customer.updated', id: 'C-7' });
    answers.paid = await shop({ type: 'order.paid', id: 'B-2' });
    answers.cancelled = await shop({ type: 'order.cancelled', id: 'D-4' });
    answers.badToken = await postJson(`${hf.url}/hooks/locked`, { type: 'audit', id: 'X' }, { 'x-token': 'guess' });
    answers.noToken = await postJson(`${hf.url}/hooks/locked`, { type: 'audit', id: 'Y' });
    answers.unknown = await postJson(`${hf.url}/hooks/nope`, { type: 'audit', id: 'Z' });

    for (const id of ['order-alert/shop/A-1', 'charge/shop/B-2', 'doomed/shop/D-4']) {
      results[id] = await resultOf<RunResult>(hf.client!.client, id);
    }
    const res = await fetch(`${hf.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    scrape = await res.text();
    samples = parseScrape(scrape);
    if (process.env.HOOKFLOW_UPDATE_SCREENSHOTS === '1') {
      const ours = scrape.split('\n').filter((l) => /^(# (HELP|TYPE) )?hookflow_(?!process_)/.test(l));
      writeFileSync(path.resolve('docs/img/metrics-example.txt'), `${ours.join('\n')}\n`);
    }
  });

  after(async () => {
    await hf?.stop();
    await sink?.close();
  });

  test('the webhooks answer as the scenario needs', () => {
    assert.equal(answers.accepted!.status, 200);
    assert.equal(answers.duplicate!.json.runs[0].duplicate, true);
    assert.deepEqual(answers.noMatch!.json.runs, []);
    assert.equal(answers.badToken!.status, 401);
    assert.equal(answers.badToken!.json.error.code, 'bad_signature');
    assert.equal(answers.noToken!.status, 401);
    assert.equal(answers.noToken!.json.error.code, 'missing_signature');
    assert.equal(answers.unknown!.status, 404);
    assert.equal(results['charge/shop/B-2']!.steps[0]!.attempts, 2);
    assert.equal(results['doomed/shop/D-4']!.steps[0]!.status, 'failed');
  });

  test('hookflow_webhooks_received_total counts by source, outcome and reason', () => {
    const n = (labels: Record<string, string>) => value(samples, 'hookflow_webhooks_received_total', labels);
    assert.equal(n({ source: 'shop', outcome: 'accepted', reason: '' }), 3);
    assert.equal(n({ source: 'shop', outcome: 'duplicate', reason: '' }), 1);
    assert.equal(n({ source: 'shop', outcome: 'no_match', reason: '' }), 1);
    assert.equal(n({ source: 'locked', outcome: 'rejected', reason: 'bad_signature' }), 1);
    assert.equal(n({ source: 'locked', outcome: 'rejected', reason: 'missing_signature' }), 1);
    // Unknown names share one label value, so junk paths cannot add series.
    assert.equal(n({ source: '(unknown)', outcome: 'rejected', reason: 'unknown_source' }), 1);
    const total = samples.filter((s) => s.name === 'hookflow_webhooks_received_total').reduce((a, s) => a + s.value, 0);
    assert.equal(total, 8, 'every request to a trigger URL is counted once');
  });

  test('hookflow_runs_started_total counts by recipe, duplicates apart', () => {
    const n = (recipe: string, duplicate: string) => value(samples, 'hookflow_runs_started_total', { recipe, duplicate });
    assert.equal(n('order-alert', 'false'), 1);
    assert.equal(n('order-alert', 'true'), 1);
    assert.equal(n('charge', 'false'), 1);
    assert.equal(n('doomed', 'false'), 1);
    assert.equal(n('audit', 'false'), 0, 'refused deliveries start nothing');
  });

  test('hookflow_ingress_duration_seconds observes every request, by source and status', () => {
    const h = 'hookflow_ingress_duration_seconds';
    assert.equal(value(samples, `${h}_count`, { source: 'shop', status: '200' }), 5);
    assert.equal(value(samples, `${h}_count`, { source: 'locked', status: '401' }), 2);
    assert.equal(value(samples, `${h}_count`, { source: '(unknown)', status: '404' }), 1);
    assert.equal(value(samples, `${h}_bucket`, { source: 'shop', status: '200', le: '+Inf' }), 5);
    const sum = value(samples, `${h}_sum`, { source: 'shop', status: '200' });
    assert.ok(sum > 0 && sum < 30, `sum of shop latencies ${sum} s`);
    // Buckets are cumulative: never decreasing.
    const buckets = samples.filter((s) => s.name === `${h}_bucket` && s.labels.source === 'shop').map((s) => s.value);
    assert.deepEqual(
      buckets,
      [...buckets].sort((a, b) => a - b),
    );
  });

  test('hookflow_step_attempts_total counts each activity attempt by kind and outcome', () => {
    const n = (outcome: string) => value(samples, 'hookflow_step_attempts_total', { kind: 'http', outcome });
    assert.equal(n('ok'), 2, 'order-alert once, charge on its second attempt');
    assert.equal(n('retry'), 1, "charge's first attempt got a 503");
    assert.equal(n('failed'), 1, "doomed's 404 is final");
    assert.equal(value(samples, 'hookflow_step_attempt_duration_seconds_count', { kind: 'http' }), 4);
  });

  test('default process metrics are there, prefixed', () => {
    const names = new Set(samples.map((s) => s.name));
    assert.ok(names.has('hookflow_process_process_cpu_user_seconds_total'), [...names].filter((n) => n.includes('cpu')).join(', '));
    assert.ok(names.has('hookflow_process_nodejs_heap_size_used_bytes'));
  });

  test('the log line about an accepted event carries source, event id, recipe and workflow id', () => {
    const accepted = lines.filter((l) => l.msg === 'webhook accepted' && (l.event as { id?: string } | undefined)?.id === 'A-1');
    assert.equal(accepted.length, 2, 'the delivery and its duplicate');
    const [first, dup] = accepted as [LogLine, LogLine];
    assert.equal(first.level, 30);
    assert.equal(first.app, 'hookflow');
    assert.equal(first.source, 'shop');
    assert.deepEqual(first.event, { source: 'shop', type: 'order.created', id: 'A-1' });
    assert.deepEqual(first.runs, [{ recipe: 'order-alert', workflowId: 'order-alert/shop/A-1', duplicate: false, state: 'queued' }]);
    assert.equal(first.verdict, 'accepted');
    assert.equal(dup.verdict, 'duplicate');
    assert.equal(typeof first.ms, 'number');
    assert.deepEqual(
      (dup.runs as Array<Record<string, unknown>>).map(({ state: _state, ...rest }) => rest),
      [{ recipe: 'order-alert', workflowId: 'order-alert/shop/A-1', duplicate: true }],
    );

    const none = lines.find((l) => (l.event as { id?: string } | undefined)?.id === 'C-7');
    assert.equal(none?.msg, 'webhook accepted; no recipe matched');
    assert.deepEqual(none?.runs, []);
  });

  test('a refused delivery is logged with its source, status and reason code', () => {
    const refused = lines.filter((l) => l.msg.startsWith('webhook refused') && l.source === 'locked');
    assert.deepEqual(
      refused.map((l) => [l.status, l.code]),
      [
        [401, 'bad_signature'],
        [401, 'missing_signature'],
      ],
    );
    assert.ok(!JSON.stringify(refused).includes('guess'), 'the wrong token must not be logged');
  });

  test('each attempt of a step is one worker line with the workflow id, step path, attempt and status', () => {
    const steps = lines.filter((l) => l.workflowId === 'charge/shop/B-2' && l.step === 'capture' && l.kind === 'http');
    assert.deepEqual(
      steps.map((l) => [l.msg, l.attempt, l.status]),
      [
        ['step attempt failed; Temporal retries it', 1, 503],
        ['step attempt succeeded', 2, 200],
      ],
    );
    for (const l of steps) assert.match(String(l.request), /^POST http:\/\/\S+\/charge$/, 'the line names the request it sent');
  });
});
