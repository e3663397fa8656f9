import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { DefaultPayloadConverter, type Payload } from '@temporalio/common';
import express from 'express';
import { codecRouter, codecRouterOptionsFromEnv, payloadsFromJson, payloadsToJson } from '../../src/temporal/codec-server.js';
import { AesGcmCodec, codecFromEnv, dataConverterFromEnv, ENCODING_ENCRYPTED, METADATA_KEY_ID, parseCodecKeys } from '../../src/temporal/codec.js';

const converter = new DefaultPayloadConverter();
const keyA = randomBytes(32);
const keyB = randomBytes(32);
const text = (b: Uint8Array | null | undefined): string => Buffer.from(b ?? new Uint8Array()).toString('utf8');
const sample = (): Payload[] => [
  converter.toPayload({ recipe: 'notify', event: { id: 'evt_1', amount: 42, note: 'ünïcödé' } }),
  converter.toPayload('plain string'),
  converter.toPayload(null),
  converter.toPayload(new Uint8Array([0, 1, 2, 255])),
];

describe('AesGcmCodec', () => {
  test('round trip restores every payload, metadata included', async () => {
    const codec = new AesGcmCodec([{ id: 'a', key: keyA }]);
    const input = sample();
    const encoded = await codec.encode(input);
    assert.equal(encoded.length, input.length);
    for (const p of encoded) {
      assert.equal(text(p.metadata?.encoding), ENCODING_ENCRYPTED);
      assert.equal(text(p.metadata?.[METADATA_KEY_ID]), 'a');
      assert.ok(!text(p.data).includes('notify'), 'ciphertext must not show the plaintext');
    }
    const decoded = await codec.decode(encoded);
    assert.deepEqual(
      decoded.map((p) => converter.fromPayload(p)),
      input.map((p) => converter.fromPayload(p)),
    );
    assert.deepEqual(
      decoded.map((p) => text(p.metadata?.encoding)),
      input.map((p) => text(p.metadata?.encoding)),
    );
  });

  test('a fresh IV per payload: the same value encrypts differently each time', async () => {
    const codec = new AesGcmCodec([{ id: 'a', key: keyA }]);
    const [x, y] = await codec.encode([converter.toPayload('same'), converter.toPayload('same')]);
    assert.notDeepEqual(Buffer.from(x!.data!), Buffer.from(y!.data!));
    assert.notDeepEqual(Buffer.from(x!.data!).subarray(0, 12), Buffer.from(y!.data!).subarray(0, 12));
  });

  test('tampered ciphertext, IV, tag or key id is rejected', async () => {
    const codec = new AesGcmCodec([
      { id: 'a', key: keyA },
      { id: 'b', key: keyB },
    ]);
    const [sealed] = await codec.encode([converter.toPayload({ secret: 'x' })]);
    const data = Buffer.from(sealed!.data!);
    const cases: Array<[string, Payload]> = [
      ['ciphertext byte', { metadata: sealed!.metadata, data: flip(data, 14) }],
      ['IV byte', { metadata: sealed!.metadata, data: flip(data, 0) }],
      ['tag byte', { metadata: sealed!.metadata, data: flip(data, data.length - 1) }],
      ['key id swapped to another configured key', { metadata: { ...sealed!.metadata, [METADATA_KEY_ID]: Buffer.from('b') }, data }],
      ['truncated', { metadata: sealed!.metadata, data: data.subarray(0, 20) }],
    ];
    for (const [name, p] of cases) {
      await assert.rejects(codec.decode([p]), /altered|truncated|authentication/, name);
    }
  });

  test('rotation: a payload sealed with the old key decrypts once a new key is put first', async () => {
    const before = new AesGcmCodec([{ id: 'k2025', key: keyA }]);
    const sealed = await before.encode([converter.toPayload('from last year')]);
    const rotated = new AesGcmCodec([
      { id: 'k2026', key: keyB },
      { id: 'k2025', key: keyA },
    ]);
    assert.equal(rotated.keyId, 'k2026');
    const [back] = await rotated.decode(sealed);
    assert.equal(converter.fromPayload(back!), 'from last year');
    const [fresh] = await rotated.encode([converter.toPayload('new')]);
    assert.equal(text(fresh!.metadata?.[METADATA_KEY_ID]), 'k2026');
    // Without the old key, the message names the missing id and the variable.
    const withoutOld = new AesGcmCodec([{ id: 'k2026', key: keyB }]);
    await assert.rejects(withoutOld.decode(sealed), /"k2025".*HOOKFLOW_CODEC_KEYS/);
  });

  test('unencrypted payloads pass through decode untouched', async () => {
    const codec = new AesGcmCodec([{ id: 'a', key: keyA }]);
    const plain = sample();
    const out = await codec.decode(plain);
    assert.equal(out.length, plain.length);
    out.forEach((p, i) => assert.equal(p, plain[i]));
  });
});

describe('codec configuration from the environment', () => {
  const b64A = keyA.toString('base64');
  const b64B = keyB.toString('base64');

  test('unset or empty → encryption off', () => {
    assert.equal(codecFromEnv({}), undefined);
    assert.equal(codecFromEnv({ HOOKFLOW_CODEC_KEYS: ' ' }), undefined);
    assert.equal(dataConverterFromEnv({}), undefined);
  });

  test('keys parse in order; the first one encrypts', () => {
    const keys = parseCodecKeys(`new:${b64B}, old:${b64A}`);
    assert.deepEqual(
      keys.map((k) => k.id),
      ['new', 'old'],
    );
    assert.deepEqual(Buffer.from(keys[1]!.key), keyA);
    assert.equal(codecFromEnv({ HOOKFLOW_CODEC_KEYS: `new:${b64B},old:${b64A}` })?.keyId, 'new');
    const dc = dataConverterFromEnv({ HOOKFLOW_CODEC_KEYS: `k:${b64A}` });
    assert.equal(dc?.payloadCodecs?.length, 1);
    assert.ok(dc?.payloadCodecs?.[0] instanceof AesGcmCodec);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['no id', b64A, /entry 1 is not "id:base64key"/],
    ['empty id', `:${b64A}`, /entry 1 is not "id:base64key"/],
    ['16-byte key', `short:${randomBytes(16).toString('base64')}`, /"short" decodes to 16 bytes/],
    ['not base64', `x:not*base64!`, /"x" is not standard base64/],
    ['duplicate id', `a:${b64A},a:${b64B}`, /"a" is configured twice/],
  ];
  for (const [name, value, message] of bad) {
    test(`refuses ${name}`, () => {
      assert.throws(() => codecFromEnv({ HOOKFLOW_CODEC_KEYS: value }), message);
    });
  }

  test('router options: origins comma-separated, default the dev server UI', () => {
    assert.deepEqual(codecRouterOptionsFromEnv({}), { corsOrigins: ['http://localhost:8233'] });
    assert.deepEqual(
      codecRouterOptionsFromEnv({ HOOKFLOW_CODEC_CORS_ORIGIN: 'http://localhost:8080/, http://127.0.0.1:8080', HOOKFLOW_CODEC_AUTH_TOKEN: 't0k' }),
      {
        corsOrigins: ['http://localhost:8080', 'http://127.0.0.1:8080'],
        authToken: 't0k',
      },
    );
  });
});

describe('proto3 JSON payloads', () => {
  test('base64 metadata values and data, both ways', () => {
    const json = { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"a":1}').toString('base64') }] };
    const [p] = payloadsFromJson(json);
    assert.equal(text(p!.metadata?.encoding), 'json/plain');
    assert.equal(text(p!.data), '{"a":1}');
    assert.deepEqual(payloadsToJson([p!]), json);
  });

  test('URL-safe base64 is accepted, as proto3 JSON allows', () => {
    const raw = Buffer.from([0xfb, 0xff, 0xfe]);
    const [p] = payloadsFromJson({ payloads: [{ metadata: {}, data: raw.toString('base64url') }] });
    assert.deepEqual(Buffer.from(p!.data!), raw);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['no payloads', {}, /"payloads"/],
    ['payload not an object', { payloads: [1] }, /payloads\[0\] must be an object/],
    ['metadata value not base64', { payloads: [{ metadata: { encoding: 'json/plain!' } }] }, /payloads\[0\]\.metadata\.encoding must be a base64 string/],
    ['data a number', { payloads: [{ data: 5 }] }, /payloads\[0\]\.data must be a base64 string/],
  ];
  for (const [name, body, message] of bad) {
    test(`refuses ${name}`, () => assert.throws(() => payloadsFromJson(body), message));
  }
});

describe('codec HTTP endpoint', () => {
  const UI = 'http://localhost:8233';
  const codec = new AesGcmCodec([{ id: 'a', key: keyA }]);
  let open: Server;
  let locked: Server;
  let openUrl = '';
  let lockedUrl = '';

  const listen = (app: express.Express): Promise<[Server, string]> =>
    new Promise((resolve, reject) => {
      const s = app.listen(0, '127.0.0.1', () => resolve([s, `http://127.0.0.1:${(s.address() as { port: number }).port}`]));
      s.once('error', reject);
    });

  before(async () => {
    const a = express();
    a.use(codecRouter(codec, { corsOrigins: [UI] }));
    [open, openUrl] = await listen(a);
    const b = express();
    b.use(codecRouter(codec, { corsOrigins: [UI], authToken: 's3cret' }));
    [locked, lockedUrl] = await listen(b);
  });
  after(async () => {
    await Promise.all([open, locked].map((s) => new Promise((r) => s.close(r))));
  });

  const post = (url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: UI, 'x-namespace': 'default', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  test('decode returns what encode produced, in proto3 JSON', async () => {
    const input = payloadsToJson(sample());
    const enc = await post(`${openUrl}/codec/encode`, input);
    assert.equal(enc.status, 200);
    assert.equal(enc.headers.get('access-control-allow-origin'), UI);
    const encoded = (await enc.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    assert.equal(encoded.payloads.length, input.payloads.length);
    for (const p of encoded.payloads) assert.equal(Buffer.from(p.metadata.encoding!, 'base64').toString(), ENCODING_ENCRYPTED);

    const dec = await post(`${openUrl}/codec/decode`, encoded);
    assert.equal(dec.status, 200);
    assert.deepEqual(await dec.json(), input);
  });

  test('decode leaves unencrypted payloads as they were', async () => {
    const input = payloadsToJson([converter.toPayload({ hello: 'world' })]);
    const res = await post(`${openUrl}/codec/decode`, input);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), input);
  });

  test('answers the CORS preflight for the UI origin, with X-Namespace allowed', async () => {
    const res = await fetch(`${openUrl}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: UI, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), UI);
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const h of ['content-type', 'x-namespace', 'authorization']) assert.ok(allowed.includes(h), `${h} allowed`);
  });

  test('a preflight from another origin gets no CORS grant', async () => {
    const res = await fetch(`${openUrl}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /HOOKFLOW_CODEC_CORS_ORIGIN/);
  });

  test('with a token set: refused without it or with a wrong one, served with it; preflight still open', async () => {
    const body = payloadsToJson([converter.toPayload('x')]);
    const none = await post(`${lockedUrl}/codec/encode`, body);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.match(((await none.json()) as { error: { message: string } }).error.message, /HOOKFLOW_CODEC_AUTH_TOKEN/);
    const wrong = await post(`${lockedUrl}/codec/decode`, body, { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
    const ok = await post(`${lockedUrl}/codec/encode`, body, { authorization: 'Bearer s3cret' });
    assert.equal(ok.status, 200);
    const pre = await fetch(`${lockedUrl}/codec/encode`, { method: 'OPTIONS', headers: { origin: UI, 'access-control-request-method': 'POST' } });
    assert.equal(pre.status, 204);
  });

  test('bad input is a 4xx with the house error shape, never a 5xx', async () => {
    const cases: Array<[string, unknown, number, string]> = [
      ['not JSON', '{"payloads":', 400, 'invalid_json'],
      ['no payloads', { nope: 1 }, 400, 'invalid_payloads'],
      [
        'tampered',
        {
          payloads: [
            {
              metadata: { encoding: Buffer.from(ENCODING_ENCRYPTED).toString('base64'), [METADATA_KEY_ID]: Buffer.from('a').toString('base64') },
              data: randomBytes(40).toString('base64'),
            },
          ],
        },
        400,
        'decode_failed',
      ],
    ];
    for (const [name, body, status, code] of cases) {
      const res = await post(`${openUrl}/codec/decode`, body);
      assert.equal(res.status, status, name);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, code, name);
    }
    const get = await fetch(`${openUrl}/codec/decode`);
    assert.equal(get.status, 405);
  });
});

function flip(buf: Buffer, at: number): Buffer {
  const copy = Buffer.from(buf);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}
