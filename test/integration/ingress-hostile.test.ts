// A corpus of hostile requests against the real ingress: each is answered with its 4xx and a JSON
// `{"error":{"code","message"}}` that says what to fix, starts no run, and leaves the process
// serving (a valid request is accepted after each one). Sent over a bare TCP client so repeated
// headers, lying lengths and unnormalised paths reach the server as written.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { RunInput } from '../../src/core/types.js';
import { eventually, startTestHookflow, startedRun } from '../helpers/hookflow.js';
import { rawRequest, type RawRequest, type RawResponse } from '../fixtures/hostile/raw-http.js';

const TAG = randomUUID().slice(0, 8);
const GITHUB_SECRET = 'hostile-github-secret';
const STRIPE_SECRET = 'whsec_hostile_stripe';
const SW_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const MiB = 1024 * 1024;

const SOURCES = `
sources:
  open: { provider: generic, verify: none, event: body.kind }
  small: { provider: generic, verify: none, event: body.kind, max_body: 10kb }
  ided: { provider: generic, verify: none, event: body.kind, id: 'headers["x-id"]' }
  plain: { provider: generic, verify: none }
  stripe-like: { provider: generic, verify: none, event: body.kind, id: body.id }
`;
const recipe = (source: string, event: string): string =>
  `name: h-${TAG}-${source}\non:\n  source: ${source}\n  event: "${event}"\nsteps:\n  - log: "{{ trigger.type }}"\n`;

function hostile(name: string): Buffer {
  return readFileSync(fileURLToPath(new URL(`../fixtures/hostile/${name}`, import.meta.url)));
}

type Headers = Array<[string, string]>;

function githubHeaders(body: Buffer, extra: Headers = []): Headers {
  return [
    ['Content-Type', 'application/json'],
    ['X-GitHub-Event', 'push'],
    ['X-GitHub-Delivery', randomUUID()],
    ['X-Hub-Signature-256', `sha256=${createHmac('sha256', GITHUB_SECRET).update(body).digest('hex')}`],
    ...extra,
  ];
}

function stripeHeaders(body: Buffer, t: string): Headers {
  const v1 = createHmac('sha256', STRIPE_SECRET).update(`${t}.`).update(body).digest('hex');
  return [
    ['Content-Type', 'application/json'],
    ['Stripe-Signature', `t=${t},v1=${v1}`],
  ];
}

const nowS = (): number => Math.floor(Date.now() / 1000);
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const open = (body: Buffer | string, contentType: string | null = 'application/json', extra: Partial<RawRequest> = {}): RawRequest => ({
  method: 'POST',
  path: '/hooks/open',
  headers: contentType === null ? [] : [['Content-Type', contentType]],
  body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
  ...extra,
});
const gh = (body: Buffer | string, mutate: (h: Headers) => Headers = (h) => h): RawRequest => {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  return { method: 'POST', path: '/hooks/github', headers: mutate(githubHeaders(b)), body: b };
};
/** A JSON body of exactly `size` bytes (padded with spaces, so it stays valid). */
function jsonOfSize(size: number, kind = 'go'): Buffer {
  const head = `{"kind":"${kind}","pad":"`;
  return Buffer.from(`${head}${'x'.repeat(size - head.length - 2)}"}`);
}

interface Row {
  name: string;
  req: () => RawRequest;
  status: number;
  code: string;
  /** Text the message must contain: the header, variable or limit a person needs to act. */
  mentions?: Array<string | RegExp>;
  allow?: string;
}

const ROWS: Row[] = [
  // --- JSON
  { name: 'truncated JSON', req: () => open('{"kind":"go","items":[1,2'), status: 400, code: 'invalid_json', mentions: ['not valid JSON'] },
  { name: 'truncated JSON with a valid signature', req: () => gh('{"ref":"refs/heads/ma'), status: 400, code: 'invalid_json' },
  { name: 'invalid JSON (unquoted keys)', req: () => open("{kind: 'go'}"), status: 400, code: 'invalid_json', mentions: [/line 1, column 2/] },
  { name: 'JSON with trailing garbage', req: () => open('{"kind":"go"} {"kind":"go"}'), status: 400, code: 'invalid_json' },
  { name: 'JSON NaN literal', req: () => open('{"kind":"go","n":NaN}'), status: 400, code: 'invalid_json' },
  { name: 'a JSON string, not an object (no event type)', req: () => open('"go"'), status: 400, code: 'no_event_type', mentions: ['body.kind'] },
  { name: 'deeply nested JSON arrays', req: () => open('['.repeat(100_000) + ']'.repeat(100_000)), status: 400, code: 'too_deep', mentions: ['64'] },
  { name: 'deeply nested JSON objects', req: () => open('{"a":'.repeat(65) + '1' + '}'.repeat(65)), status: 400, code: 'too_deep' },
  // --- charsets
  {
    name: 'invalid UTF-8 (Latin-1 é sent as UTF-8)',
    req: () => open(hostile('latin1-as-utf8.json')),
    status: 400,
    code: 'invalid_charset',
    mentions: ['offset 37', '0xe9'],
  },
  {
    name: 'invalid UTF-8 (encoded surrogate)',
    req: () => open(Buffer.from([0x7b, 0x22, 0x6b, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d])),
    status: 400,
    code: 'invalid_charset',
  },
  {
    name: 'unknown charset',
    req: () => open('{"kind":"go"}', 'application/json; charset=x-klingon'),
    status: 415,
    code: 'unsupported_charset',
    mentions: ['x-klingon'],
  },
  { name: 'invalid UTF-8 in a form field', req: () => open('kind=go&name=%E9t%E9', 'application/x-www-form-urlencoded'), status: 400, code: 'invalid_charset' },
  // --- content types
  ...['application/octet-stream', 'multipart/form-data; boundary=x', 'text/html', 'image/png', 'application/jsonx', 'json'].map((ct): Row => ({
    name: `Content-Type ${ct}`,
    req: () => open('{"kind":"go"}', ct),
    status: 415,
    code: 'unsupported_media_type',
    mentions: ['application/json', 'application/x-www-form-urlencoded', 'text/xml', 'text/plain'],
  })),
  { name: 'a body with no Content-Type', req: () => open('{"kind":"go"}', null), status: 415, code: 'unsupported_media_type', mentions: ['no Content-Type'] },
  // --- XML
  {
    name: 'XML entity bomb (billion laughs)',
    req: () => open(hostile('billion-laughs.xml'), 'application/xml'),
    status: 400,
    code: 'invalid_xml',
    mentions: ['DOCTYPE'],
  },
  { name: 'XML external entity', req: () => open(hostile('xxe.xml'), 'text/xml'), status: 400, code: 'invalid_xml', mentions: ['DOCTYPE'] },
  { name: 'malformed XML', req: () => open('<kind>go</knid>', 'application/xml'), status: 400, code: 'invalid_xml', mentions: ['line 1'] },
  { name: 'deeply nested XML', req: () => open('<a>'.repeat(200) + '</a>'.repeat(200), 'application/xml'), status: 400, code: 'too_deep' },
  // --- sizes
  {
    name: 'a body over the 1 MiB default',
    req: () => open(jsonOfSize(MiB + 1)),
    status: 413,
    code: 'body_too_large',
    mentions: ['1 MiB', '"open"', 'max_body'],
  },
  {
    name: 'a Content-Length over the limit (the body never comes)',
    req: () => open('{"kind":"go"}', 'application/json', { contentLength: 50 * MiB }),
    status: 413,
    code: 'body_too_large',
  },
  {
    name: 'chunked with no length, over the limit',
    req: () => open(jsonOfSize(MiB + 64 * 1024), 'application/json', { chunked: 16 * 1024 }),
    status: 413,
    code: 'body_too_large',
  },
  {
    name: 'over a per-source max_body: 10kb',
    req: () => ({ ...open(jsonOfSize(10 * 1024 + 1)), path: '/hooks/small' }),
    status: 413,
    code: 'body_too_large',
    mentions: ['10 KiB', '"small"'],
  },
  {
    name: 'chunked over a per-source max_body',
    req: () => ({ ...open(jsonOfSize(20 * 1024), 'application/json', { chunked: 1000 }), path: '/hooks/small' }),
    status: 413,
    code: 'body_too_large',
  },
  // --- empty bodies
  { name: 'an empty JSON body with a valid signature', req: () => gh(''), status: 400, code: 'invalid_json', mentions: ['empty'] },
  { name: 'an empty body with no Content-Type (no event type)', req: () => open('', null), status: 400, code: 'no_event_type' },
  { name: 'an empty XML body', req: () => open('', 'application/xml'), status: 400, code: 'invalid_xml', mentions: ['empty'] },
  // --- signatures
  {
    name: 'missing signature header',
    req: () => gh('{"ref":"x"}', (h) => h.filter(([k]) => k !== 'X-Hub-Signature-256')),
    status: 401,
    code: 'missing_signature',
    mentions: ['X-Hub-Signature-256'],
  },
  {
    name: 'an empty signature header',
    req: () => gh('{"ref":"x"}', (h) => h.map(([k, v]) => [k, k === 'X-Hub-Signature-256' ? '' : v])),
    status: 401,
    code: 'missing_signature',
    mentions: ['X-Hub-Signature-256'],
  },
  {
    name: 'duplicated signature headers (valid + forged)',
    req: () => gh('{"ref":"x"}', (h) => [...h, ['X-Hub-Signature-256', `sha256=${'0'.repeat(64)}`]]),
    status: 401,
    code: 'duplicate_header',
    mentions: ['X-Hub-Signature-256'],
  },
  {
    name: 'duplicated signature headers (same value twice)',
    req: () => gh('{"ref":"x"}', (h) => [...h, h.find(([k]) => k === 'X-Hub-Signature-256')!]),
    status: 401,
    code: 'duplicate_header',
  },
  {
    name: 'an 8 KB signature header',
    req: () => gh('{"ref":"x"}', (h) => h.map(([k, v]) => [k, k === 'X-Hub-Signature-256' ? `sha256=${'ab'.repeat(4096)}` : v])),
    status: 401,
    code: 'bad_signature',
  },
  {
    name: 'a non-hex signature',
    req: () => gh('{"ref":"x"}', (h) => h.map(([k, v]) => [k, k === 'X-Hub-Signature-256' ? `sha256=${'zz'.repeat(32)}` : v])),
    status: 401,
    code: 'bad_signature',
  },
  {
    name: 'a signature without its sha256= prefix',
    req: () => gh('{"ref":"x"}', (h) => h.map(([k, v]) => [k, k === 'X-Hub-Signature-256' ? v.slice(7) : v])),
    status: 401,
    code: 'bad_signature',
  },
  {
    name: 'a signature of other bytes',
    req: () => ({ ...gh('{"ref":"x"}'), body: Buffer.from('{"ref":"y"}') }),
    status: 401,
    code: 'bad_signature',
    mentions: ['GITHUB_WEBHOOK_SECRET'],
  },
  {
    name: 'Stripe header with no v1',
    req: () => ({
      method: 'POST',
      path: '/hooks/stripe',
      headers: [
        ['Content-Type', 'application/json'],
        ['Stripe-Signature', `t=${nowS()}`],
      ],
      body: json({ type: 'x' }),
    }),
    status: 401,
    code: 'bad_signature',
    mentions: ['v1='],
  },
  {
    name: 'a stale timestamp (signed an hour ago)',
    req: () => ({
      method: 'POST',
      path: '/hooks/stripe',
      headers: stripeHeaders(json({ id: 'evt_stale', type: 'x' }), String(nowS() - 3600)),
      body: json({ id: 'evt_stale', type: 'x' }),
    }),
    status: 401,
    code: 'stale_timestamp',
    mentions: ['in the past', '300 s'],
  },
  {
    name: 'a future timestamp (an hour ahead)',
    req: () => ({
      method: 'POST',
      path: '/hooks/stripe',
      headers: stripeHeaders(json({ id: 'evt_future', type: 'x' }), String(nowS() + 3600)),
      body: json({ id: 'evt_future', type: 'x' }),
    }),
    status: 401,
    code: 'stale_timestamp',
    mentions: ['in the future'],
  },
  {
    name: 'a timestamp that is not a number',
    req: () => ({ method: 'POST', path: '/hooks/stripe', headers: stripeHeaders(json({ type: 'x' }), 'yesterday'), body: json({ type: 'x' }) }),
    status: 401,
    code: 'bad_timestamp',
  },
  {
    name: 'Standard Webhooks without webhook-id',
    req: () => ({
      method: 'POST',
      path: '/hooks/standard-webhooks',
      headers: [
        ['Content-Type', 'application/json'],
        ['webhook-timestamp', String(nowS())],
        ['webhook-signature', 'v1,AAAA'],
      ],
      body: json({ type: 'x' }),
    }),
    status: 401,
    code: 'missing_signature',
    mentions: ['webhook-id'],
  },
  // --- sources and paths
  {
    name: 'unknown source',
    req: () => ({ ...open('{"kind":"go"}'), path: '/hooks/nope' }),
    status: 404,
    code: 'unknown_source',
    mentions: ['nope', 'sources.yaml'],
  },
  { name: 'path /hooks/../healthz', req: () => ({ ...open('{}'), path: '/hooks/../healthz' }), status: 404, code: 'not_found' },
  { name: 'path /hooks/%2e%2e', req: () => ({ ...open('{}'), path: '/hooks/%2e%2e' }), status: 404, code: 'unknown_source' },
  { name: 'path /hooks/%2e%2e/healthz', req: () => ({ ...open('{}'), path: '/hooks/%2e%2e/healthz' }), status: 404, code: 'not_found' },
  { name: 'path /hooks/a%2Fb', req: () => ({ ...open('{}'), path: '/hooks/a%2Fb' }), status: 404, code: 'unknown_source' },
  { name: 'path /hooks/open%2F..%2Fhealthz', req: () => ({ ...open('{}'), path: '/hooks/open%2F..%2Fhealthz' }), status: 404, code: 'unknown_source' },
  { name: 'path /hooks/', req: () => ({ ...open('{}'), path: '/hooks/' }), status: 404, code: 'not_found' },
  { name: 'path /hooks', req: () => ({ ...open('{}'), path: '/hooks' }), status: 404, code: 'not_found' },
  { name: 'path /hooks/open/extra', req: () => ({ ...open('{}'), path: '/hooks/open/extra' }), status: 404, code: 'not_found' },
  { name: 'a 4000-character source name', req: () => ({ ...open('{}'), path: `/hooks/${'a'.repeat(4000)}` }), status: 404, code: 'unknown_source' },
  { name: 'a unicode source name (percent-encoded)', req: () => ({ ...open('{}'), path: '/hooks/%E2%98%83' }), status: 404, code: 'unknown_source' },
  { name: 'a NUL in the source name', req: () => ({ ...open('{}'), path: '/hooks/open%00' }), status: 404, code: 'unknown_source' },
  { name: 'a malformed percent escape in the source name', req: () => ({ ...open('{}'), path: '/hooks/%E0%A4%A' }), status: 400, code: 'bad_path' },
  { name: 'the source name in another case', req: () => ({ ...open('{}'), path: '/hooks/OPEN' }), status: 404, code: 'unknown_source' },
  // --- what Temporal would refuse as an invalid argument (was: 503 temporal_unavailable, retried forever)
  {
    name: 'a 1,000-character delivery id',
    req: () => ({
      ...open('{"kind":"go"}', 'application/json', {
        headers: [
          ['Content-Type', 'application/json'],
          ['X-Id', 'd'.repeat(1000)],
        ],
      }),
      path: '/hooks/ided',
    }),
    status: 400,
    code: 'delivery_id_too_long',
    mentions: ['200 bytes'],
  },
  {
    name: 'a 3,000-character event type',
    req: () => ({ ...open(json({ kind: 'k'.repeat(3000) })), path: '/hooks/ided' }),
    status: 400,
    code: 'event_type_too_long',
    mentions: ['200 bytes'],
  },
  {
    name: 'a delivery id with an unpaired surrogate',
    req: () => ({ ...open('{"kind":"go","id":"a\\ud800b"}'), path: '/hooks/stripe-like' }),
    status: 400,
    code: 'invalid_delivery_id',
    mentions: ['surrogate'],
  },
  {
    name: 'an event type with a control character',
    req: () => ({ ...open('{"kind":"go\\u0000"}'), path: '/hooks/ided' }),
    status: 400,
    code: 'invalid_event_type',
  },
  {
    name: 'a 1 MiB text body of control characters (6 MiB as JSON)',
    req: () => ({ ...open(Buffer.alloc(1024 * 1024 - 1, 1), 'text/plain'), path: '/hooks/plain' }),
    status: 413,
    code: 'event_too_large',
    mentions: ['MiB'],
  },
  // --- methods
  ...['DELETE', 'PATCH', 'OPTIONS'].map((method): Row => ({
    name: `method ${method}`,
    req: () => ({ ...open('{"kind":"go"}'), method }),
    status: 405,
    code: 'method_not_allowed',
    mentions: ['POST'],
    allow: 'GET, POST, PUT',
  })),
];

describe('hostile requests to the ingress (real Temporal, ingress role)', () => {
  let hf: Awaited<ReturnType<typeof startTestHookflow>>;
  let client: Client;
  const accepted = new Set<string>();

  before(async () => {
    hf = await startTestHookflow({
      recipes: {
        'sources.yaml': SOURCES,
        'open.yaml': recipe('open', 'go'),
        'small.yaml': recipe('small', '*'),
        'github.yaml': recipe('github', '*'),
        'stripe.yaml': recipe('stripe', '*'),
        'sw.yaml': recipe('standard-webhooks', '*'),
        'ided.yaml': recipe('ided', '*'),
        'plain.yaml': recipe('plain', '*'),
        'stripe-like.yaml': recipe('stripe-like', '*'),
      },
      env: { GITHUB_WEBHOOK_SECRET: GITHUB_SECRET, STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, STANDARD_WEBHOOKS_WEBHOOK_SECRET: SW_SECRET },
      roles: { ingress: true, worker: false },
    });
    client = hf.client!.client;
  });
  after(async () => {
    await hf?.stop();
  });

  /** A well-formed request that matches no recipe: the process still parses, verifies and answers. */
  async function probe(): Promise<void> {
    const res = await rawRequest(hf.url, open(json({ kind: 'probe' })));
    assert.equal(res.status, 200, `the ingress stopped serving: ${res.body.toString()}`);
    assert.deepEqual((res.json as { runs: unknown[] }).runs, []);
  }

  function assertError(res: RawResponse, row: Pick<Row, 'status' | 'code' | 'mentions'>): void {
    const shown = res.body.toString('utf8').slice(0, 500);
    assert.equal(res.status, row.status, shown);
    assert.match(res.headers['content-type'] ?? '', /^application\/json/, shown);
    const body = res.json as { error?: { code?: unknown; message?: unknown } };
    assert.deepEqual(Object.keys(body ?? {}), ['error'], shown);
    assert.deepEqual(Object.keys(body.error ?? {}).sort(), ['code', 'message'], shown);
    assert.equal(body.error!.code, row.code, shown);
    assert.equal(typeof body.error!.message, 'string');
    assert.ok((body.error!.message as string).length > 10, shown);
    for (const m of row.mentions ?? []) {
      if (typeof m === 'string') assert.ok((body.error!.message as string).includes(m), `message lacks "${m}": ${shown}`);
      else assert.match(body.error!.message as string, m);
    }
  }

  for (const row of ROWS) {
    test(`${row.name} → ${row.status} ${row.code}`, async () => {
      const res = await rawRequest(hf.url, row.req());
      assertError(res, row);
      if (row.allow) assert.equal(res.headers['allow'], row.allow);
      await probe();
    });
  }

  test("a header block over Node's limit is refused with 431 before hookflow sees it, and the process lives on", async () => {
    const res = await rawRequest(
      hf.url,
      gh('{"ref":"x"}', (h) => [...h, ['X-Padding', 'p'.repeat(64 * 1024)]]),
    );
    assert.equal(res.status, 431);
    assert.equal((res.json as { error: { code: string } }).error.code, 'headers_too_large', 'the JSON error shape, as for every refusal');
    await probe();
  });

  test('a Content-Length shorter than the body: the rest is not a request; 400, no run, the process lives on', async () => {
    // Node reads the declared 100 bytes as the body and the rest as a next request, which its
    // parser refuses with a bare 400 before hookflow answers the first: either answer is a 400.
    const res = await rawRequest(hf.url, open(jsonOfSize(2 * MiB, `lie-${TAG}`), 'application/json', { contentLength: 100 }));
    assert.equal(res.status, 400, res.body.toString());
    await probe();
  });

  test('JSON with __proto__ and constructor.prototype keys: accepted, nothing polluted, the keys not stored', async () => {
    const body = Buffer.from(
      `{"kind":"go","n":"${randomUUID()}","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},` +
        `"nested":{"__proto__":{"polluted":"yes"},"ok":1},"\\u005f_proto__":{"polluted":"yes"}}`,
    );
    const res = await rawRequest(hf.url, open(body));
    assert.equal(res.status, 200, res.body.toString());
    const wf = (res.json as { runs: Array<{ workflowId: string }> }).runs[0]!.workflowId;
    accepted.add(wf);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
    const input = await runInput(client, wf);
    const stored = input.event.body as Record<string, unknown>;
    assert.equal(Object.hasOwn(stored, '__proto__'), false);
    assert.equal(Object.hasOwn(stored, 'constructor'), false);
    assert.deepEqual(stored.nested, { ok: 1 });
    assert.equal(JSON.stringify(input.event.body).includes('polluted'), false);
  });

  test('a form body with __proto__[x] and constructor fields: accepted, nothing polluted', async () => {
    const res = await rawRequest(
      hf.url,
      open(`kind=go&n=${randomUUID()}&__proto__=yes&constructor=yes&__proto__%5Bpolluted%5D=yes`, 'application/x-www-form-urlencoded'),
    );
    assert.equal(res.status, 200, res.body.toString());
    const wf = (res.json as { runs: Array<{ workflowId: string }> }).runs[0]!.workflowId;
    accepted.add(wf);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const stored = (await runInput(client, wf)).event.body as Record<string, unknown>;
    assert.equal(Object.hasOwn(stored, '__proto__'), false);
    assert.equal(Object.hasOwn(stored, 'constructor'), false);
  });

  test('integer ids beyond 2^53 stay exact: …993 and …992 are two deliveries, not one and a duplicate', async () => {
    // 19 digits (a Discord/Twitter snowflake): as doubles, neighbours like these are the same number.
    const base = `1${String(Date.now()).slice(-7)}${String(Math.floor(Math.random() * 1e10)).padStart(10, '0')}`;
    const ids: string[] = [];
    for (const last of ['3', '2']) {
      const id = `${base}${last}`;
      const res = await rawRequest(hf.url, { ...open(`{"kind":"go","id":${id}}`), path: '/hooks/stripe-like' });
      assert.equal(res.status, 200, res.body.toString());
      const answer = res.json as { event: { id: string }; runs: Array<{ workflowId: string; duplicate: boolean }> };
      assert.equal(answer.event.id, id);
      assert.equal(answer.runs[0]!.duplicate, false, `${id} was taken for a duplicate`);
      accepted.add(answer.runs[0]!.workflowId);
      ids.push(answer.runs[0]!.workflowId);
      assert.equal(((await runInput(client, answer.runs[0]!.workflowId)).event.body as { id: unknown }).id, id, 'the body keeps the exact digits, as a string');
    }
    assert.notEqual(ids[0], ids[1]);
  });

  test('the edges of the limits and charsets that must be accepted', async () => {
    // Exactly max_body (10 KiB) passes; one byte more was refused above.
    const exact = await rawRequest(hf.url, { ...open(jsonOfSize(10 * 1024, `edge-${TAG}`)), path: '/hooks/small' });
    assert.equal(exact.status, 200, exact.body.toString());
    accepted.add((exact.json as { runs: Array<{ workflowId: string }> }).runs[0]!.workflowId);
    // Exactly 1 MiB on the default limit, sent chunked.
    const mib = await rawRequest(hf.url, open(jsonOfSize(MiB, 'big'), 'application/json', { chunked: 60_000 }));
    assert.equal(mib.status, 200, mib.body.toString());
    // The Latin-1 body is fine when it says it is Latin-1; UTF-16 with a BOM too.
    const latin1 = await rawRequest(hf.url, open(Buffer.from('{"kind":"latin","name":"caf\xe9"}', 'latin1'), 'application/json; charset=ISO-8859-1'));
    assert.equal(latin1.status, 200, latin1.body.toString());
    const utf16 = await rawRequest(
      hf.url,
      open(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"kind":"wide"}', 'utf16le')]), 'application/json; charset=utf-16le'),
    );
    assert.equal(utf16.status, 200, utf16.body.toString());
    assert.equal((utf16.json as { event: { type: string } }).event.type, 'wide');
  });

  test('no hostile request started a run: the task queue holds only the accepted ones', async () => {
    // Send every row once more, all at once, then compare the queue's runs with the accepted set.
    const answers = await Promise.all(ROWS.map((r) => rawRequest(hf.url, r.req())));
    answers.forEach((res, i) => assert.equal(res.status, ROWS[i]!.status, `${ROWS[i]!.name}: ${res.body.toString().slice(0, 200)}`));
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const w of client.workflow.list({ query: `TaskQueue = "${hf.config.taskQueue}"` })) ids.push(w.workflowId);
        return ids.length >= accepted.size ? ids : undefined;
      },
      20_000,
      'visibility to list the accepted runs',
    );
    await new Promise((r) => setTimeout(r, 1000)); // a late, wrongly started run would show by now
    const again: string[] = [];
    for await (const w of client.workflow.list({ query: `TaskQueue = "${hf.config.taskQueue}"` })) again.push(w.workflowId);
    assert.deepEqual(new Set(found), accepted);
    assert.deepEqual(new Set(again), accepted);
    await probe();
  });
});

async function runInput(client: Client, workflowId: string): Promise<RunInput> {
  const history = await (await startedRun(client, workflowId)).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  assert.ok(payload, `${workflowId} has no input`);
  return client.options.loadedDataConverter.payloadConverter.fromPayload(payload) as RunInput;
}
