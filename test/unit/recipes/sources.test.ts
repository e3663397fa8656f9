import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESET_NAMES } from '../../../src/providers/index.js';
import { interpolateEnv, loadSourcesFile, resolveSource, secretEnvVar, splitSecrets } from '../../../src/recipes/sources.js';
import { formatProblem } from '../../../src/recipes/load.js';
import { parseSize } from '../../../src/http/size.js';
import type { SourceConfig } from '../../../src/core/types.js';

const envVars: Array<[string, string]> = [
  ['github', 'GITHUB_WEBHOOK_SECRET'],
  ['standard-webhooks', 'STANDARD_WEBHOOKS_WEBHOOK_SECRET'],
  ['shop-eu', 'SHOP_EU_WEBHOOK_SECRET'],
  ['my.source_1', 'MY_SOURCE_1_WEBHOOK_SECRET'],
];
for (const [name, variable] of envVars) {
  test(`secretEnvVar(${name}) = ${variable}`, () => assert.equal(secretEnvVar(name), variable));
}

const sizes: Array<[string | number, number]> = [
  ['5mb', 5 * 1024 * 1024],
  ['512kb', 512 * 1024],
  ['1MiB', 1024 * 1024],
  ['2 GB', 2 * 1024 ** 3],
  ['100', 100],
  ['100b', 100],
  [2048, 2048],
  ['1.5kb', 1536],
];
for (const [input, bytes] of sizes) {
  test(`parseSize(${JSON.stringify(input)}) = ${bytes}`, () => assert.equal(parseSize(input), bytes));
}
for (const input of ['', 'big', '5tb', '0', '-1kb', 0, 1.5]) {
  test(`parseSize(${JSON.stringify(input)}) throws`, () => assert.throws(() => parseSize(input), /invalid size .* e\.g\. "5mb"/));
}

test('splitSecrets and interpolateEnv', () => {
  assert.deepEqual(splitSecrets(' a, b ,,c '), ['a', 'b', 'c']);
  assert.deepEqual(splitSecrets(undefined), []);
  assert.deepEqual(interpolateEnv('x-${A}-${B}-$C', { A: '1' }), { value: 'x-1--$C', vars: ['A', 'B'], unset: ['B'] });
});

test('a preset needs no file: its secrets come from <SOURCE>_WEBHOOK_SECRET, comma-separated for rotation', () => {
  const env = { GITHUB_WEBHOOK_SECRET: 'old,new', STANDARD_WEBHOOKS_WEBHOOK_SECRET: 'whsec_x' };
  assert.deepEqual(resolveSource('github', new Map(), env), {
    name: 'github',
    provider: 'github',
    secrets: ['old', 'new'],
    secretOrigin: 'GITHUB_WEBHOOK_SECRET',
    maxBody: 1024 * 1024,
  });
  assert.deepEqual(resolveSource('standard-webhooks', new Map(), env)?.secrets, ['whsec_x']);
  assert.deepEqual(resolveSource('stripe', new Map(), env)?.secrets, []);
  assert.equal(resolveSource('stripe', new Map(), env)?.secretOrigin, 'STRIPE_WEBHOOK_SECRET');
  assert.equal(resolveSource('unknown-thing', new Map(), env), undefined);
  for (const p of PRESET_NAMES) assert.equal(resolveSource(p, new Map(), {})?.provider, p);
  const declared: SourceConfig = { name: 'github', provider: 'generic', secrets: ['s'], secretOrigin: 'X', maxBody: 10 };
  assert.equal(resolveSource('github', new Map([['github', declared]]), env), declared, 'sources.yaml wins over the preset');
});

test('sources.yaml: providers, ${ENV} secrets, verify, CEL and sizes', () => {
  const text = `sources:
  shop-eu: { provider: shopify, secret: "\${SHOPIFY_EU_SECRET}" }
  alerts:
    provider: generic
    verify: { hmac: sha256, header: X-Signature, encoding: hex, prefix: "sha256=", secret: "\${ALERTS_SECRET}" }
    event: body.alert.status
    id: headers["x-request-id"]
    max_body: 5mb
  open:
    provider: generic
    verify: none
  gh2: { provider: github }
  literal: { provider: slack, secret: "abc,def" }
  basic:
    provider: generic
    verify: { basic: { username: "\${BASIC_USER}" }, secret: pw }
`;
  const env = { SHOPIFY_EU_SECRET: 'shp', ALERTS_SECRET: 'k1,k2', GH2_WEBHOOK_SECRET: 'g', BASIC_USER: 'bob' };
  const { sources, problems } = loadSourcesFile('/r/sources.yaml', env, text);
  assert.deepEqual(problems, []);
  assert.deepEqual(sources.get('shop-eu'), { name: 'shop-eu', provider: 'shopify', secrets: ['shp'], secretOrigin: 'SHOPIFY_EU_SECRET', maxBody: 1048576 });
  assert.deepEqual(sources.get('alerts'), {
    name: 'alerts',
    provider: 'generic',
    secrets: ['k1', 'k2'],
    secretOrigin: 'ALERTS_SECRET',
    maxBody: 5 * 1048576,
    verify: { hmac: 'sha256', header: 'X-Signature', encoding: 'hex', prefix: 'sha256=' },
    event: 'body.alert.status',
    id: 'headers["x-request-id"]',
  });
  assert.deepEqual(sources.get('open')?.verify, 'none');
  assert.deepEqual([sources.get('gh2')?.secrets, sources.get('gh2')?.secretOrigin], [['g'], 'GH2_WEBHOOK_SECRET']);
  assert.deepEqual([sources.get('literal')?.secrets, sources.get('literal')?.secretOrigin], [['abc', 'def'], 'sources.yaml:13']);
  assert.deepEqual(sources.get('basic')?.verify, { basic: { username: 'bob' } });
  assert.deepEqual(sources.get('basic')?.secrets, ['pw']);
});

test('sources.yaml problems carry line:col and leave the bad source out', () => {
  const text = `sources:
  a: { provider: gitlab }
  b:
    provider: generic
    event: body.type ==
    max_body: lots
  c: { provider: generic, id: nope.x }
  ok: { provider: github }
  d: { provider: github, colour: red }
`;
  const { sources, problems } = loadSourcesFile('sources.yaml', {}, text);
  assert.deepEqual(problems.map(formatProblem), [
    'sources.yaml:2:18 sources.a.provider must be one of: "meiqia", "sendbird", "github", "stripe", "slack", "shopify", "twilio", "standard-webhooks", "svix", "generic", "zoom", "discord"',
    'sources.yaml:5:24 invalid expression `body.type ==`: Unexpected token: EOF',
    'sources.yaml:6:15 invalid size "lots": use bytes or a number with kb, mb or gb, e.g. "5mb"',
    'sources.yaml:7:31 unknown variable "nope" in id: a source\'s expressions see body, headers and query',
    'sources.yaml:9:26 unknown field "colour" in sources.d (allowed: provider, secret, verify, event, id, dedupe, max_body)',
  ]);
  assert.deepEqual([...sources.keys()], ['ok']);
});

test('an unset ${VAR} inside a secret is a load problem at its position, naming the variable', () => {
  const text = `sources:
  tok:
    provider: generic
    verify: { token: { header: X-Token }, secret: "tok-\${UNSET_TOKEN}" }
  sw: { provider: standard-webhooks, secret: "whsec_\${UNSET_KEY}" }
  who:
    provider: generic
    verify: { basic: { username: "\${UNSET_USER}" }, secret: pw }
  whole: { provider: github, secret: "\${UNSET_WHOLE}" }
  rotating: { provider: github, secret: "\${SET_ONE},\${UNSET_OLD}" }
`;
  const { sources, problems } = loadSourcesFile('sources.yaml', { SET_ONE: 'one' }, text);
  assert.deepEqual(problems.map(formatProblem), [
    'sources.yaml:4:51 ${UNSET_TOKEN} is not set, so this secret would be what is left around it: set UNSET_TOKEN in the environment (or .env)',
    'sources.yaml:5:46 ${UNSET_KEY} is not set, so this secret would be what is left around it: set UNSET_KEY in the environment (or .env)',
    'sources.yaml:8:34 ${UNSET_USER} is not set: set UNSET_USER in the environment (or .env); an empty part of a user name is not a credential',
  ]);
  // A secret that is exactly one unset variable gives no secret: the source refuses requests naming it.
  assert.deepEqual([sources.get('whole')?.secrets, sources.get('whole')?.secretOrigin], [[], 'UNSET_WHOLE']);
  assert.deepEqual(sources.get('rotating')?.secrets, ['one']);
  assert.deepEqual([...sources.keys()], ['whole', 'rotating']);
});

test('a Standard Webhooks secret that decodes to an empty key is a load problem', () => {
  const text = `sources:
  a: { provider: standard-webhooks, secret: "whsec_" }
  b: { provider: svix, secret: "\${B_SECRET}" }
  c: { provider: standard-webhooks, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }
`;
  const { sources, problems } = loadSourcesFile('sources.yaml', { B_SECRET: 'whsec_!!!!' }, text);
  assert.deepEqual(problems.map(formatProblem), [
    'sources.yaml:2:45 "whsec_" gives no HMAC key: a Standard Webhooks secret is "whsec_" followed by the base64 of a non-empty key',
    'sources.yaml:3:32 B_SECRET: "whsec_!!!!" gives no HMAC key: a Standard Webhooks secret is "whsec_" followed by the base64 of a non-empty key',
  ]);
  assert.deepEqual([...sources.keys()], ['c']);
});

test('dedupe: a content key (CEL over body, headers, query) and a window; problems at file:line:col', () => {
  const ok = loadSourcesFile(
    'sources.yaml',
    { GITHUB_WEBHOOK_SECRET: 's' },
    'sources:\n  github:\n    provider: github\n    dedupe: { key: body, window: 10m }\n',
  );
  assert.deepEqual(ok.problems, []);
  assert.deepEqual(ok.sources.get('github')?.dedupe, { key: 'body', windowMs: 600_000 });
  const bad = loadSourcesFile(
    'sources.yaml',
    { GITHUB_WEBHOOK_SECRET: 's' },
    'sources:\n  github:\n    provider: github\n    dedupe: { key: event.after, window: 10 minutes }\n',
  );
  const shown = bad.problems.map(formatProblem);
  assert.equal(shown.length, 2, shown.join('\n'));
  assert.match(shown[0]!, /^sources\.yaml:4:20 unknown variable "event" in dedupe\.key/);
  assert.match(shown[1]!, /^sources\.yaml:4:41 invalid duration "10 minutes"/);
  assert.equal(bad.sources.has('github'), false);
});
