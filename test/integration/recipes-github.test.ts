// examples/github-to-chat.yaml end to end: GitHub-signed push and pull_request deliveries through
// `hookflow send` and a real Temporal server, checked at a Slack and a Discord incoming-webhook sink.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { start as startSink, type HttpSink } from '../helpers/http-sink.js';
import { fixture, onlyRun, readJson, recipeFiles, startRecipes, type RecipeHarness } from './recipes-kit.js';

describe('github-to-chat', () => {
  let slack: HttpSink;
  let discord: HttpSink;
  let h: RecipeHarness;

  before(async () => {
    // Slack answers `ok` as text; Discord 204 without a body.
    slack = await startSink({ fallback: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' } });
    discord = await startSink({ fallback: { status: 204 } });
    h = await startRecipes({
      recipes: recipeFiles('github-to-chat.yaml'),
      env: {
        GITHUB_WEBHOOK_SECRET: 'github-webhook-secret-for-tests',
        HOOKFLOW_SECRET_SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/XXXX`,
        HOOKFLOW_SECRET_DISCORD_WEBHOOK_URL: `${discord.url}/api/webhooks/123/abc`,
      },
    });
  });
  after(async () => {
    await h?.stop();
    await slack?.close();
    await discord?.close();
  });

  /** `hookflow send github <payload>` with the delivery's headers (X-GitHub-Event, X-GitHub-Delivery). */
  async function deliver(name: string, dir = 'github'): Promise<{ runs: number; slack?: unknown; discord?: unknown }> {
    const [s, d] = [slack.requests.length, discord.requests.length];
    const reply = await h.send('github', fixture(dir, `${name}.json`), readJson<Record<string, string>>(fixture(dir, `${name}.headers.json`)));
    if (reply.runs.length === 0) return { runs: 0 };
    const r = await h.result(onlyRun(reply, 'github-to-chat'));
    assert.equal(r.status, 'completed', r.error);
    const [sl, di] = [slack.requests.slice(s), discord.requests.slice(d)];
    assert.equal(sl.length, 1);
    assert.equal(di.length, 1);
    assert.equal(sl[0]!.path, '/services/T000/B000/XXXX');
    assert.equal(di[0]!.path, '/api/webhooks/123/abc');
    return { runs: 1, slack: JSON.parse(sl[0]!.body), discord: JSON.parse(di[0]!.body) };
  }

  test('a push is posted to both chats', async () => {
    assert.deepEqual(await deliver('push', 'providers/github'), {
      runs: 1,
      slack: {
        text: '<https://github.com/octocat/hello-world/compare/6113728f27ae...0d1a26e67d8f|octocat pushed 1 commit(s) to octocat/hello-world:main>\nFix the README link',
      },
      discord: {
        username: 'GitHub',
        content:
          '**[octocat pushed 1 commit(s) to octocat/hello-world:main](<https://github.com/octocat/hello-world/compare/6113728f27ae...0d1a26e67d8f>)**\nFix the README link',
      },
    });
  });

  test('an opened and a merged pull request are posted; one closed unmerged starts nothing', async () => {
    const opened = await deliver('pull_request-opened');
    assert.deepEqual(opened.slack, {
      text: '<https://github.com/octocat/hello-world/pull/42|monalisa opened pull request #42 in octocat/hello-world>\nAdd a dark theme to the docs site',
    });
    const merged = await deliver('pull_request-merged');
    assert.deepEqual(merged.discord, {
      username: 'GitHub',
      content:
        '**[octocat merged pull request #42 in octocat/hello-world](<https://github.com/octocat/hello-world/pull/42>)**\nAdd a dark theme to the docs site',
    });
    const before = [slack.requests.length, discord.requests.length];
    assert.deepEqual(await deliver('pull_request-closed'), { runs: 0 });
    assert.deepEqual([slack.requests.length, discord.requests.length], before);
  });
});
