// Matching and template cost: `npx tsx bench/core.bench.ts`. Prints a table of µs per operation.
import { readFileSync } from 'node:fs';
import { RecipeIndex } from '../src/core/match.js';
import { parseBody } from '../src/ingress/parse-body.js';
import { renderTemplate, renderValue } from '../src/core/template.js';
import type { Json, Recipe, TriggerEvent } from '../src/core/types.js';

const SOURCES = ['sendbird', 'github', 'stripe', 'slack', 'shopify', 'meiqia', 'twilio'];

/** `n` recipes spread over many sources and event types; 3 of them match the probe event. */
function recipes(n: number): Recipe[] {
  const out: Recipe[] = [];
  for (let i = 0; out.length < n - 3; i++) {
    // Every 10th recipe listens to the probe's own source, on other event types (exact, glob, lists).
    const source = i % 10 === 0 ? 'sendbird' : `${SOURCES[i % SOURCES.length]}-${i % 97}`;
    const event = i % 5 === 0 ? `type_${i % 211}:*` : i % 7 === 0 ? [`type_${i}`, `other_${i}:*`] : `type_${i % 1009}`;
    out.push({ name: `r${i}`, on: { source, event, ...(i % 3 === 0 ? { if: 'event.payload.message != ""' } : {}) }, steps: [{ log: 'x' }] });
  }
  out.push(
    { name: 'exact', on: { source: 'sendbird', event: 'group_channel:message_send' }, steps: [{ log: 'x' }] },
    { name: 'glob', on: { source: 'sendbird', event: 'group_channel:*', if: 'event.payload.message != ""' }, steps: [{ log: 'x' }] },
    { name: 'list', on: { source: 'sendbird', event: ['open_channel:message_send', 'group_channel:message_send'] }, steps: [{ log: 'x' }] },
  );
  return out;
}

const event: TriggerEvent = {
  source: 'sendbird',
  type: 'group_channel:message_send',
  id: 'd1',
  received_at: '2024-05-01T10:00:00Z',
  body: {
    app_id: 'APP',
    payload: { message: 'hello there' },
    sender: { user_id: 'u1', nickname: 'Ann' },
    members: [{ user_id: 'u1' }, { user_id: 'u2', metadata: { phone: '+15550100' } }],
  },
  headers: { 'content-type': 'application/json' },
  query: {},
};

function timeUs(fn: () => unknown, minMs = 300): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    t = performance.now();
  }
  return ((t - t0) * 1000) / n;
}

/** Rows of [operation, µs per op]. */
export function coreBench(): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  for (const n of [10, 1_000, 10_000]) {
    const set = recipes(n);
    const t0 = performance.now();
    const index = new RecipeIndex(set);
    const buildMs = performance.now() - t0;
    const matched = index
      .match(event)
      .map((r) => r.name)
      .join(',');
    rows.push([
      `match 1 event vs ${n.toLocaleString('en')} recipes (matched: ${matched}; index built in ${buildMs.toFixed(1)} ms)`,
      timeUs(() => index.match(event)).toFixed(2),
    ]);
  }

  const ctx = { event: event.body, member: { user_id: 'u2', metadata: { phone: '+15550100' } }, steps: {}, vars: {} };
  const url = 'https://api-{{ event.app_id }}.sendbird.com/v3/users/{{ member.user_id }}';
  rows.push(['render "https://api-{{ event.app_id }}…/{{ member.user_id }}"', timeUs(() => renderTemplate(url, ctx)).toFixed(2)]);
  rows.push([
    'render "{{ event.sender.nickname }}: {{ event.payload.message }}"',
    timeUs(() => renderTemplate('{{ event.sender.nickname }}: {{ event.payload.message }}', ctx)).toFixed(2),
  ]);
  const params: Json = {
    url,
    headers: { 'Api-Token': '{{ secret.SENDBIRD_API_TOKEN }}' },
    json: { to: '{{ member.metadata.phone }}', text: 'Hi {{ event.sender.nickname }}' },
  };
  rows.push(['renderValue(http params: url, secret header, json body)', timeUs(() => renderValue(params, ctx)).toFixed(2)]);

  // JSON bodies: the typical one never enters the big-integer scan; one with a snowflake id does.
  const push = readFileSync(new URL('../test/fixtures/providers/github/push.json', import.meta.url));
  const withSnowflake = Buffer.from(push.toString('utf8').replace('{', '{"snowflake":1234567890123456789,'));
  rows.push([`JSON.parse alone (GitHub push, ${(push.length / 1024).toFixed(1)} KB)`, timeUs(() => JSON.parse(push.toString('utf8'))).toFixed(2)]);
  rows.push(['parseBody JSON (GitHub push)', timeUs(() => parseBody(push, 'application/json', 'POST', {})).toFixed(2)]);
  rows.push([
    'parseBody JSON (GitHub push + a 19-digit integer: quoted exactly)',
    timeUs(() => parseBody(withSnowflake, 'application/json', 'POST', {})).toFixed(2),
  ]);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = coreBench();
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`${'operation'.padEnd(width)} | µs/op`);
  console.log(`${'-'.repeat(width)}-|-------`);
  for (const [label, us] of rows) console.log(`${label.padEnd(width)} | ${us.padStart(6)}`);
}
