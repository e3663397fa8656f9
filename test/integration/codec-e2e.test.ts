// Payload encryption wired through hookflow: with HOOKFLOW_CODEC_KEYS set, the webhook body in a
// run's history is AES-GCM ciphertext, runs still work, and the ingress serves the codec endpoint
// the Temporal UI decrypts through.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { RunResult } from '../../src/core/types.js';
import { ENCODING_ENCRYPTED } from '../../src/temporal/codec.js';
import { postJson, startTestHookflow, temporalAddress, unsignedSource, resultOf } from '../helpers/hookflow.js';

test('HOOKFLOW_CODEC_KEYS: history holds ciphertext, runs complete, /codec/decode gives the plaintext back', async () => {
  const hf = await startTestHookflow({
    recipes: {
      'sources.yaml': unsignedSource('ops', 'kind'),
      'log.yaml': 'name: log-it\non: { source: ops, event: deploy }\nsteps:\n  - log: "deployed {{ event.service }}"\n',
    },
    env: { HOOKFLOW_CODEC_KEYS: `k1:${randomBytes(32).toString('base64')}` },
  });
  const plainConnection = await Connection.connect({ address: temporalAddress() });
  try {
    const marker = `service-${randomBytes(6).toString('hex')}`;
    const res = await postJson(`${hf.url}/hooks/ops`, { kind: 'deploy', id: marker, service: marker });
    assert.equal(res.status, 200);
    const wid = res.json.runs[0].workflowId as string;
    const result = await resultOf<RunResult>(hf.client!.client, wid);
    assert.equal(result.logs[0]!.message, `deployed ${marker}`, 'hookflow itself reads its payloads');

    // A client without the key sees only ciphertext.
    const history = await new Client({ connection: plainConnection }).workflow.getHandle(wid).fetchHistory();
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    assert.equal(Buffer.from(input.metadata!.encoding!).toString(), ENCODING_ENCRYPTED);
    assert.ok(!Buffer.from(input.data!).toString('latin1').includes(marker), 'the body is not in clear');

    // The UI's codec endpoint, served by the ingress, decrypts it.
    const decoded = await fetch(`${hf.url}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default' },
      body: JSON.stringify({
        payloads: [
          {
            metadata: Object.fromEntries(Object.entries(input.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
            data: Buffer.from(input.data!).toString('base64'),
          },
        ],
      }),
    });
    assert.equal(decoded.status, 200);
    const body = (await decoded.json()) as { payloads: Array<{ data: string }> };
    assert.ok(Buffer.from(body.payloads[0]!.data, 'base64').toString().includes(marker));

    // `hookflow replay <workflowId>` reads that input: without the keys it says what to set, with them it replays.
    const cli = (extra: Record<string, string | undefined>) => {
      const env: Record<string, string | undefined> = {
        ...process.env,
        TEMPORAL_ADDRESS: temporalAddress(),
        TEMPORAL_TASK_QUEUE: hf.config.taskQueue,
        RECIPES_DIR: hf.config.recipesDir,
        ...extra,
      };
      for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
      return spawnSync(process.execPath, ['bin/hookflow.mjs', 'replay', wid], { encoding: 'utf8', env, timeout: 60_000 });
    };
    const locked = cli({ HOOKFLOW_CODEC_KEYS: undefined });
    assert.equal(locked.status, 1, locked.stdout + locked.stderr);
    assert.match(locked.stderr, /was stored encrypted, and HOOKFLOW_CODEC_KEYS is not set here/);
    assert.doesNotMatch(locked.stderr, /Unknown encoding/);
    const open = cli({ HOOKFLOW_CODEC_KEYS: hf.config.env.HOOKFLOW_CODEC_KEYS });
    assert.equal(open.status, 0, open.stdout + open.stderr);
    const replayId = /started (\S+) \(replay of/.exec(open.stdout)?.[1];
    assert.ok(replayId, open.stdout);
    assert.equal((await resultOf<RunResult>(hf.client!.client, replayId)).logs[0]!.message, `deployed ${marker}`);
  } finally {
    await plainConnection.close();
    await hf.stop();
  }
});
