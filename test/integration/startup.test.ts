// Start-up that tells the truth: a port hookflow needs that is taken — by a Temporal server already
// running (the test run's own) or by any other program — stops `hookflow start` before anything
// starts, with the fix in the message; settings the recipes need and the environment lacks are
// said at start and by `validate`; the CLI's small edges (no arguments, a closed pipe).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startHookflow } from '../../src/app/hookflow.js';
import { StartupError } from '../../src/app/preflight.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { freePort, journalFile, recipesDir, temporalAddress, unsignedSource } from '../helpers/hookflow.js';

const RECIPES = {
  'sources.yaml': unsignedSource('shop'),
  'mail.yaml': `
name: mail
on: { source: shop, event: order.created }
steps:
  - email: { to: a@example.com, subject: hi, text: "{{ secret.GREETING }}" }
  - sms: { to: "+15550100", body: hi }
`,
};

/** Runs the CLI; `env` is added to this process's environment, or replaces it with `{ whole: true }`. */
function hookflow(args: string[], env: Record<string, string | undefined> = {}, opts: { whole?: boolean } = {}) {
  const r = spawnSync(process.execPath, ['bin/hookflow.mjs', ...args], {
    encoding: 'utf8',
    env: opts.whole ? env : { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The environment of a `hookflow start` that must run its own dev server. */
function startEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, RECIPES_DIR: recipesDir(RECIPES), HOOKFLOW_JOURNAL_URL: journalFile(), ...extra };
  delete env.TEMPORAL_ADDRESS;
  return env;
}

describe('ports checked before anything starts', () => {
  let squatter: Server;
  const sockets: Socket[] = [];
  let busy = 0;
  before(async () => {
    squatter = createServer((sock) => {
      sockets.push(sock);
      sock.on('error', () => {});
    });
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    busy = (squatter.address() as { port: number }).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
  });

  test('`hookflow start` while a Temporal server already answers on its port: exit 1, says so, names the fixes', () => {
    const temporalPort = temporalAddress().split(':').pop()!;
    const r = hookflow(['start'], startEnv({ PORT: '0', HOOKFLOW_TEMPORAL_PORT: temporalPort }), { whole: true });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`a Temporal server already answers on 127\\.0\\.0\\.1:${temporalPort}`));
    assert.match(r.stderr, new RegExp(`TEMPORAL_ADDRESS=127\\.0\\.0\\.1:${temporalPort}`));
    assert.match(r.stderr, /HOOKFLOW_TEMPORAL_PORT=\d+ HOOKFLOW_TEMPORAL_UI_PORT=\d+/);
    assert.doesNotMatch(r.stderr, /hookflow is up|Cannot read properties|starting the embedded/);
  });

  test('a dev-server port taken by another program, and a taken UI port', async () => {
    const env = startEnv({ PORT: '0', HOOKFLOW_TEMPORAL_PORT: String(busy) });
    const config = loadConfig(env, process.cwd());
    await assert.rejects(startHookflow(config, { roles: { ingress: true, worker: true }, logger: createLogger({ LOG_LEVEL: 'silent' }) }), (err: Error) => {
      assert.ok(err instanceof StartupError, String(err));
      assert.match(err.message, new RegExp(`port ${busy} \\(the embedded Temporal dev server\\) is taken by another program.*HOOKFLOW_TEMPORAL_PORT`));
      return true;
    });
    const ui = loadConfig(startEnv({ PORT: '0', HOOKFLOW_TEMPORAL_PORT: String(await freePort()), HOOKFLOW_TEMPORAL_UI_PORT: String(busy) }), process.cwd());
    await assert.rejects(
      startHookflow(ui, { roles: { ingress: true, worker: true }, logger: createLogger({ LOG_LEVEL: 'silent' }) }),
      /port \d+ \(the Temporal UI of the embedded dev server\) is taken.*HOOKFLOW_TEMPORAL_UI_PORT/,
    );
  });

  test('the ingress PORT taken: refused before Temporal is touched', async () => {
    const config = loadConfig(
      {
        ...process.env,
        PORT: String(busy),
        HOST: '127.0.0.1',
        RECIPES_DIR: recipesDir(RECIPES),
        HOOKFLOW_JOURNAL_URL: journalFile(),
        TEMPORAL_ADDRESS: '127.0.0.1:1',
      },
      process.cwd(),
    );
    await assert.rejects(
      startHookflow(config, { roles: { ingress: true, worker: false }, logger: createLogger({ LOG_LEVEL: 'silent' }) }),
      new RegExp(`PORT ${busy} on 127\\.0\\.0\\.1 \\(the webhook ingress\\) is taken.*set PORT to a free port`),
    );
  });

  test('HOOKFLOW_TEMPORAL_PORT that is not a port is refused', async () => {
    const config = loadConfig(startEnv({ PORT: '0', HOOKFLOW_TEMPORAL_PORT: 'seventy' }), process.cwd());
    await assert.rejects(
      startHookflow(config, { roles: { ingress: true, worker: true }, logger: createLogger({ LOG_LEVEL: 'silent' }) }),
      /HOOKFLOW_TEMPORAL_PORT=seventy is not a port number/,
    );
  });
});

describe('settings the recipes need', () => {
  test('validate: valid (exit 0) but says what this environment lacks, naming the recipe', () => {
    const dir = recipesDir(RECIPES);
    const env = { SMTP_URL: '', TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '', TWILIO_FROM: '', HOOKFLOW_SECRET_GREETING: '' };
    const r = hookflow(['validate', dir], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /warning: SMTP_URL is not set: email steps will fail .* needed by mail/);
    assert.match(r.stdout, /warning: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM are not set/);
    assert.match(r.stdout, /warning: secret\.GREETING is not set: define HOOKFLOW_SECRET_GREETING/);
    assert.match(r.stderr, /all valid; 3 setting\(s\) missing/);
    const ok = hookflow(['validate', dir], {
      SMTP_URL: 'smtp://127.0.0.1:2525',
      TWILIO_ACCOUNT_SID: 'AC1',
      TWILIO_AUTH_TOKEN: 't',
      TWILIO_FROM: '+15550199',
      HOOKFLOW_SECRET_GREETING: 'hello',
    });
    assert.equal(ok.code, 0);
    assert.doesNotMatch(ok.stdout, /warning/);
    assert.match(ok.stderr, /all valid\n/);
  });
});

describe('the CLI edges', () => {
  test('`hookflow` with no arguments: usage on stderr, exit 1', () => {
    const r = hookflow([]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^hookflow — webhooks in/);
  });

  test('output piped into a reader that leaves (head): no EPIPE stack trace', async () => {
    // 3,000 recipes of output would overflow any pipe buffer; the reader closes after one line.
    const files: Record<string, string> = { 'sources.yaml': unsignedSource('shop') };
    for (let i = 0; i < 300; i++)
      files[`r${i}.yaml`] =
        `name: r${i}\non: { source: shop, event: x }\nsteps:\n  - email: { to: a@example.com, subject: "{{ secret.S${i}_${'LONG'.repeat(25)} }}", text: hi }\n`;
    const dir = recipesDir(files);
    const child = spawn(process.execPath, ['bin/hookflow.mjs', 'validate', dir], { env: { ...process.env, SMTP_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.doesNotMatch(stderr, /EPIPE|Error:/, stderr);
    assert.equal(code, 0, stderr);
  });
});
