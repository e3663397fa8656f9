// `hookflow send` and `hookflow explain` as a user runs them: the real CLI spawned as a child
// process, with RECIPES_DIR and the secret in its environment, posting to a running ingress
// (real Temporal). A send is signed like the provider, so the ingress's verification accepts it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { freePort, startTestHookflow, startedRun } from '../helpers/hookflow.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TAG = randomUUID().slice(0, 8);
const fixture = (p: string): string => path.join(ROOT, 'test/fixtures/providers', p);

const SECRETS: Record<string, string> = {
  GITHUB_WEBHOOK_SECRET: 'cli-github',
  STRIPE_WEBHOOK_SECRET: 'whsec_cli_stripe',
  SLACK_WEBHOOK_SECRET: 'cli-slack',
  SHOPIFY_WEBHOOK_SECRET: 'cli-shopify',
  TWILIO_WEBHOOK_SECRET: 'cli-twilio-auth-token',
  STANDARD_WEBHOOKS_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  MEIQIA_WEBHOOK_SECRET: 'cli-meiqia',
  SENDBIRD_WEBHOOK_SECRET: 'cli-sendbird',
  ALERTS_SECRET: 'cli-alerts',
};

const SOURCES = `
sources:
  alerts:
    provider: generic
    verify: { hmac: sha256, header: X-Signature, encoding: hex, prefix: "sha256=", secret: "\${ALERTS_SECRET}" }
    event: body.alert.status
    id: headers["x-request-id"]
  ops: { provider: generic, verify: none, event: body.kind }
`;
const PRESETS = ['github', 'stripe', 'slack', 'shopify', 'twilio', 'standard-webhooks', 'meiqia', 'sendbird', 'alerts'];
const name = (s: string): string => `c-${TAG}-${s}`;

function recipes(): Record<string, string> {
  const files: Record<string, string> = { 'sources.yaml': SOURCES };
  for (const s of PRESETS) files[`${s}.yaml`] = `name: ${name(s)}\non: { source: ${s}, event: "*" }\nsteps:\n  - log: hi\n`;
  // For explain: one recipe skipped by its event type, one by its filter.
  files['gh-pr.yaml'] = `name: ${name('gh-pr')}\non: { source: github, event: pull_request }\nsteps:\n  - log: pr\n`;
  files['ops.yaml'] = `name: ${name('ops')}\non: { source: ops, event: deploy }\nsteps:\n  - log: deploy\n`;
  files['gh-prod.yaml'] = `name: ${name('gh-prod')}\non:\n  source: github\n  event: push\n  if: event.ref == "refs/heads/prod"\nsteps:\n  - log: prod\n`;
  return files;
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function hookflow(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin/hookflow.mjs'), ...args],
      // A clean environment: only what a user would set, so nothing leaks in from the test runner.
      { cwd: mkdtempSync(path.join(tmpdir(), 'hookflow-cli-')), env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** The JSON answer `hookflow send` prints after its status line. */
function answerOf(r: CliResult): any {
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines.slice(1).join('\n'));
}

describe('hookflow send / explain against a running ingress (real Temporal)', () => {
  let hf: Awaited<ReturnType<typeof startTestHookflow>>;
  let client: Client;
  let env: Record<string, string>;
  let base: string;
  let alertsFile: string;

  before(async () => {
    const port = await freePort();
    base = `http://localhost:${port}`;
    hf = await startTestHookflow({ recipes: recipes(), env: { ...SECRETS, PORT: String(port), PUBLIC_URL: base }, roles: { ingress: true, worker: false } });
    client = hf.client!.client;
    env = { ...SECRETS, RECIPES_DIR: hf.config.recipesDir, PUBLIC_URL: base };
    const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-cli-payloads-'));
    alertsFile = path.join(dir, 'alert.json');
    writeFileSync(alertsFile, JSON.stringify({ alert: { status: 'firing', name: 'disk full' } }));
  });
  after(async () => {
    await hf?.stop();
  });

  const cases: Array<{ source: string; file: () => string; args?: () => string[]; type: string; id?: string }> = [
    { source: 'github', file: () => fixture('github/push.json'), type: 'push' },
    { source: 'stripe', file: () => fixture('stripe/payment_intent.succeeded.json'), type: 'payment_intent.succeeded', id: 'evt_3P5lYx2eZvKYlo2C0vWc1Abc' },
    { source: 'slack', file: () => fixture('slack/slash-command.form'), type: '/weather', id: '13345224609.738474920.8088930838d88f008e0' },
    { source: 'shopify', file: () => fixture('shopify/orders-create.json'), type: 'orders/create' },
    { source: 'twilio', file: () => fixture('twilio/inbound-sms.form'), type: 'message.received', id: 'SM1f0e8ae6ade43cb3c0ce4525424e404f:received' },
    { source: 'standard-webhooks', file: () => fixture('standard-webhooks/invoice.paid.json'), type: 'invoice.paid' },
    { source: 'meiqia', file: () => fixture('meiqia/client.created.json'), type: 'client.created', id: 'sub_09e4bee581ffbcd347fcf634e0f99df8_1632649012' },
    { source: 'sendbird', file: () => fixture('sendbird/group_channel-message_send.json'), type: 'group_channel:message_send' },
    { source: 'alerts', file: () => alertsFile, args: () => ['--header', `X-Request-Id: cli-${TAG}`], type: 'firing', id: `cli-${TAG}` },
  ];

  for (const c of cases) {
    test(`send ${c.source}: signed like the provider, accepted, run started`, async () => {
      const r = await hookflow(['send', c.source, c.file(), '--url', `${base}/hooks/${c.source}`, ...(c.args?.() ?? [])], env);
      assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /^200 OK/);
      const answer = answerOf(r);
      assert.equal(answer.accepted, true);
      assert.equal(answer.event.source, c.source);
      assert.equal(answer.event.type, c.type);
      if (c.id) assert.equal(answer.event.id, c.id);
      assert.equal(answer.runs.length, 1);
      assert.equal(answer.runs[0].recipe, name(c.source));
      assert.equal(answer.runs[0].duplicate, false);
      const desc = await (await startedRun(client, answer.runs[0].workflowId)).describe();
      assert.deepEqual(desc.searchAttributes.HookflowSource, [c.source]);
    });
  }

  // Twilio signs the URL it was given (PUBLIC_URL); `--url` says where to post, e.g. straight to the
  // server behind the proxy. The CLI signs `${PUBLIC_URL}/hooks/<source>`, not the --url.
  test('send twilio --url <the server behind the proxy>: signed for PUBLIC_URL, as Twilio would', async () => {
    const direct = base.replace('localhost', '127.0.0.1');
    const r = await hookflow(['send', 'twilio', fixture('twilio/status-delivered.form'), '--url', `${direct}/hooks/twilio`], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(answerOf(r).event.type, 'message.delivered');
  });

  test('send to a source without a secret: said, posted unsigned, accepted', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-cli-ops-')), 'deploy.json');
    writeFileSync(file, JSON.stringify({ kind: 'deploy' }));
    const r = await hookflow(['send', 'ops', file, '--url', `${base}/hooks/ops`], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [note, status, ...answer] = r.stdout.trim().split('\n');
    assert.match(note!, /^\(no secret for ops: .+; sending unsigned\)$/);
    assert.match(status!, /^200 OK {2}deploy\.json → http:\/\/localhost:\d+\/hooks\/ops$/);
    const parsed = JSON.parse(answer.join('\n'));
    assert.equal(parsed.accepted, true);
    assert.equal(parsed.runs[0].recipe, name('ops'));
  });

  test('send --header X-GitHub-Event and X-GitHub-Delivery are honoured', async () => {
    const delivery = randomUUID();
    const r = await hookflow(
      [
        'send',
        'github',
        fixture('github/push.json'),
        '--header',
        'X-GitHub-Event:issues',
        '--header',
        `X-GitHub-Delivery: ${delivery}`,
        '--url',
        `${base}/hooks/github`,
      ],
      env,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(answerOf(r).event, { source: 'github', type: 'issues', id: delivery });
  });

  test('send with the wrong secret in the environment: the ingress refuses it and the CLI exits 1', async () => {
    const r = await hookflow(['send', 'github', fixture('github/push.json'), '--url', `${base}/hooks/github`], {
      ...env,
      GITHUB_WEBHOOK_SECRET: 'not-the-servers',
    });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^401/);
    assert.equal(answerOf(r).error.code, 'bad_signature');
  });

  test('send with a missing payload file: a clear error naming the file, exit 1', async () => {
    const missing = path.join(tmpdir(), `no-such-payload-${TAG}.json`);
    const r = await hookflow(['send', 'github', missing, '--url', `${base}/hooks/github`], env);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(missing), r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace instead of a message');
  });

  test('send with no arguments prints its usage and exits 1', async () => {
    const r = await hookflow(['send'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /usage: hookflow send <source> <payload-file>/);
  });

  test('an unknown option or a bad --header: the option named with the usage, exit 1, no stack trace', async () => {
    for (const [args, said] of [
      [['send', 'github', fixture('github/push.json'), '--urll', `${base}/hooks/github`], "hookflow send: Unknown option '--urll'"],
      [
        ['explain', 'github', fixture('github/push.json'), '--header', 'X-GitHub-Event'],
        'hookflow explain: --header needs "Name: value", got "X-GitHub-Event"',
      ],
      [['replay', '--request'], "hookflow replay: Option '--request <value>' argument missing"],
      [['serve', '--port', '9'], "hookflow serve: Unknown option '--port'"],
    ] as const) {
      const r = await hookflow([...args], env);
      assert.equal(r.code, 1, args.join(' '));
      assert.ok(r.stderr.startsWith(`${said}\nusage: hookflow ${args[0]}`), r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace instead of a message');
      assert.equal(r.stdout, '', 'nothing sent or printed');
    }
  });

  test('explain prints the recipe that would start and why the others would not', async () => {
    const r = await hookflow(['explain', 'github', fixture('github/push.json'), '--header', 'X-GitHub-Event:push', '--header', 'X-GitHub-Delivery:d-1'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /event: source=github type=push id=d-1/);
    assert.match(r.stdout, new RegExp(`✓ starts ${name('github')}\\s+\\(workflow id ${name('github')}/github/d-1\\)`));
    assert.match(r.stdout, new RegExp(`· skips ${name('gh-pr')}: event type "push" is not in "pull_request"`));
    assert.match(r.stdout, new RegExp(`· skips ${name('gh-prod')}: filter \`event.ref == "refs/heads/prod"\` is false`));
    assert.match(r.stdout, new RegExp(`· skips ${name('stripe')}: listens to source "stripe", not "github"`));
  });

  test('explain for an event no recipe on that source wants says so', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-cli-ops-'));
    const file = path.join(dir, 'build.json');
    writeFileSync(file, '{"kind":"build"}');
    const r = await hookflow(['explain', 'ops', file], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /event: source=ops type=build/);
    assert.match(r.stdout, new RegExp(`· skips ${name('ops')}: event type "build" is not in "deploy"`));
    assert.match(r.stdout, /no recipe would start/);
    assert.doesNotMatch(r.stdout, /✓ starts/);
  });

  test('explain on a delivery the preset finds no event type in says why, exit 1', async () => {
    // The payload alone, without the fixture's push.headers.json beside it.
    const bare = path.join(mkdtempSync(path.join(tmpdir(), 'hookflow-cli-bare-')), 'push.json');
    copyFileSync(fixture('github/push.json'), bare);
    const r = await hookflow(['explain', 'github', bare], env);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /X-GitHub-Event/);
  });

  test('explain with one broken recipe in the folder: the broken file named with its position, the others still explained', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-cli-broken-'));
    cpSync(hf.config.recipesDir, dir, { recursive: true });
    writeFileSync(path.join(dir, 'zz-broken.yaml'), 'name: zz-broken\non: { source: github, event: push }\nsteps:\n  - htp: { url: "https://example.com" }\n');
    const r = await hookflow(['explain', 'github', fixture('github/push.json'), '--header', 'X-GitHub-Delivery:d-2'], { ...env, RECIPES_DIR: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^warning: .*zz-broken\.yaml:\d+:\d+/m);
    assert.match(r.stdout, /the recipes above are left out/);
    assert.match(r.stdout, new RegExp(`✓ starts ${name('github')}\\s+\\(workflow id ${name('github')}/github/d-2\\)`));
    assert.doesNotMatch(r.stdout, /zz-broken\s+\(workflow id/);
  });

  test("send and explain take a fixture's <name>.headers.json; --header still wins", async () => {
    const explained = await hookflow(['explain', 'github', fixture('github/push.json')], env);
    assert.equal(explained.code, 0, explained.stdout + explained.stderr);
    assert.match(explained.stdout, /event: source=github type=push id=72d3162e-cc78-11e3-81ab-4c9367dc0958/);
    const delivery = randomUUID();
    const sent = await hookflow(
      ['send', 'github', fixture('github/push.json'), '--header', `X-GitHub-Delivery: ${delivery}`, '--url', `${base}/hooks/github`],
      env,
    );
    assert.equal(sent.code, 0, sent.stdout + sent.stderr);
    assert.match(sent.stdout, /^200 OK {2}push\.json \(headers from push\.headers\.json\) →/);
    assert.deepEqual(answerOf(sent).event, { source: 'github', type: 'push', id: delivery });
  });
});
