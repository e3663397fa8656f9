// The compiled build (`npm run build`), as the image runs it: `node dist/src/cli/main.js serve` and
// `… worker`, no tsx. Every file the code reads beside itself must be in the build (the console's
// page once was not, and a compiled `serve` exited at start), and the worker must
// bundle its workflows from the compiled files. Built into .hookflow/test-build, not dist/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { RunResult } from '../../src/core/types.js';
import { freePort, journalFile, postJson, recipesDir, resultOf, temporalAddress, uniqueTaskQueue, unsignedSource } from '../helpers/hookflow.js';
import { killAll, spawnNode, waitForOutput, type Proc } from '../helpers/processes.js';

const OUT = path.resolve('.hookflow', 'test-build');

describe('the compiled build (node dist/src/cli/main.js)', () => {
  const procs: Proc[] = [];
  let connection: Connection;
  let client: Client;
  let url = '';

  before(async () => {
    const built = spawnSync(process.execPath, ['scripts/build.mjs', '--out', OUT], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(built.status, 0, built.stdout + built.stderr);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('build'),
      RECIPES_DIR: recipesDir({
        'sources.yaml': unsignedSource('app'),
        'hello.yaml': 'name: hello\non: { source: app, event: hello }\nsteps:\n  - log: "hello {{ event.name }}"\n',
      }),
      HOOKFLOW_JOURNAL_URL: journalFile(),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    const main = path.join(OUT, 'src', 'cli', 'main.js');
    procs.push(spawnNode([main, 'serve'], 'serve', env), spawnNode([main, 'worker'], 'worker', env));
    await Promise.all(procs.map((p) => waitForOutput(p, /hookflow is up/, 180_000)));
    connection = await Connection.connect({ address: temporalAddress() });
    client = new Client({ connection });
  });
  after(async () => {
    await killAll(procs);
    await connection?.close();
    rmSync(OUT, { recursive: true, force: true });
  });

  test('serve answers /healthz and the console (its page, script and style from the build)', async () => {
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200, await health.text());
    for (const [file, type] of [
      ['/console', /^text\/html/],
      ['/console/app.js', /^text\/javascript/],
      ['/console/console.css', /^text\/css/],
    ] as const) {
      const res = await fetch(`${url}${file}`);
      assert.equal(res.status, 200, `${file}: ${res.status}`);
      assert.match(res.headers.get('content-type') ?? '', type, file);
      assert.ok((await res.text()).length > 100, `${file} has content`);
    }
  });

  test('a webhook through the compiled ingress becomes a run the compiled worker completes', async () => {
    const res = await postJson(`${url}/hooks/app`, { type: 'hello', id: 'b-1', name: 'built' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const r = await resultOf<RunResult>(client, 'hello/app/b-1', 120_000);
    assert.equal(r.status, 'completed', r.error);
    assert.equal(r.logs[0]?.message, 'hello built');
  });
});
