// `hookflow replay <workflowId>`: the event a past run received goes through the recipe again (as
// the recipe is now), as a new run marked as a replay.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { replayCommand } from '../../src/cli/commands.js';
import { loadConfig } from '../../src/config.js';
import type { RunResult } from '../../src/core/types.js';
import { postJson, startTestHookflow, unsignedSource, resultOf } from '../helpers/hookflow.js';
import { start as startSink } from '../helpers/http-sink.js';

test('replay starts a new run on the same event with the current recipe, marked as a replay', async () => {
  const sink = await startSink();
  const recipe = (tag: string) =>
    `name: relay\non: { source: ops, event: deploy }\nsteps:\n  - id: post\n    http: { method: POST, url: "${sink.url}/${tag}", json: { id: "{{ event.id }}" } }\n`;
  const hf = await startTestHookflow({
    recipes: { 'sources.yaml': unsignedSource('ops', 'kind'), 'relay.yaml': recipe('v1') },
  });
  try {
    const res = await postJson(`${hf.url}/hooks/ops`, { kind: 'deploy', id: 'r1' });
    const original = res.json.runs[0].workflowId as string;
    await resultOf(hf.client!.client, original);

    // The user fixes the recipe, then replays the run.
    writeFileSync(path.join(hf.recipes!.dir, 'relay.yaml'), recipe('v2'));
    const lines: string[] = [];
    const config = loadConfig({ ...hf.config.env, TEMPORAL_ADDRESS: hf.address }, process.cwd());
    assert.equal(await replayCommand(config, [original], (l) => lines.push(l)), 0);
    const replayId = /started (\S+)/.exec(lines.join('\n'))?.[1];
    assert.ok(replayId?.startsWith(`${original}/replay-`), lines.join('\n'));

    if (!replayId) throw new Error('no replay id printed');
    const r = await resultOf<RunResult>(hf.client!.client, replayId);
    assert.equal(r.status, 'completed');
    assert.deepEqual(
      sink.requests.map((q) => q.path),
      ['/v1', '/v2'],
    );
    assert.deepEqual(JSON.parse(sink.requests[1]!.body), { id: 'r1' });
    const desc = await hf.client!.client.workflow.getHandle(replayId).describe();
    assert.equal((await desc.memo)?.replay_of, original);
    assert.deepEqual(desc.searchAttributes.HookflowRecipe, ['relay']);
  } finally {
    await hf.stop();
    await sink.close();
  }
});
