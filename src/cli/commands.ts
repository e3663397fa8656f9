// The commands that work on recipes and events without running hookflow: test, explain, send, replay.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { evaluateExpression } from '../core/expr.js';
import { emailAddressProblem } from '../activities/email.js';
import type { ActivityCall } from '../core/interpreter.js';
import { runRecipeTest } from '../core/recipe-test.js';
import type { EmailParams, RunInput, TriggerEvent } from '../core/types.js';
import type { Config } from '../config.js';
import { IngressError } from '../ingress/errors.js';
import { parseBody } from '../ingress/parse-body.js';
import { getProvider, type WebhookRequest } from '../providers/index.js';
import { signDelivery } from '../providers/sign-delivery.js';
import { RecipeSet } from '../recipes/recipe-set.js';
import { formatProblem } from '../recipes/load.js';
import { HEADER_OPTION, contentTypeFor, headersOf, parseCommand, usageError } from './args.js';

type Out = (line: string) => void;

/** What the activities refuse before sending, so a recipe test fails where the real run would. */
const sendCheck = (call: ActivityCall): string | undefined => (call.kind === 'email' ? emailAddressProblem(call.params as Partial<EmailParams>) : undefined);

/** `hookflow test [dir]`: every recipe's `tests:`, through the real interpreter, no side effects. */
export async function testCommand(dir: string, env: Record<string, string | undefined>, out: Out): Promise<number> {
  const set = RecipeSet.load(dir, env);
  let passed = 0;
  let failed = 0;
  for (const recipe of set.current.recipes) {
    for (const test of recipe.tests ?? []) {
      const r = await runRecipeTest(recipe, test, undefined, sendCheck);
      if (r.passed) {
        passed++;
        out(`✓ ${recipe.name} › ${test.name}`);
      } else {
        failed++;
        out(`✗ ${recipe.name} › ${test.name}`);
        for (const line of r.diff) out(`    ${line}`);
        out(`    actions taken: ${JSON.stringify(r.actions)}`);
      }
    }
  }
  out(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

function requestFrom(config: Config, sourceName: string, file: string, headers: Record<string, string>): WebhookRequest {
  const body = readFileSync(file);
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  lower['content-type'] ??= contentTypeFor(file, headers);
  return {
    method: 'POST',
    publicUrl: `${config.publicUrl}/hooks/${sourceName}`,
    headers: lower,
    rawBody: body,
    query: {},
    receivedAt: new Date(),
  };
}

/** The recipes that load; the broken ones are named (file:line:col) and left out, not fatal. */
function loadValidSaying(dir: string, env: Record<string, string | undefined>, out: Out): RecipeSet {
  const set = RecipeSet.loadValid(dir, env);
  if (set.problems.length) {
    for (const p of set.problems) out(`warning: ${formatProblem(p)}`);
    out(`warning: ${set.problems.length} problem(s) in ${dir}: the recipes above are left out (\`hookflow validate\` lists them); the others are used`);
  }
  return set;
}

/** `hookflow explain <source> <payload> [--header K:V]`: which recipes would start, and why the others would not. */
export async function explainCommand(config: Config, argv: string[], out: Out): Promise<number> {
  const usage = 'hookflow explain <source> <payload-file> [--header K:V]';
  const { values, positionals } = parseCommand(argv, HEADER_OPTION, usage, 2);
  const { sourceName, file, set, source } = sourceAndPayload(config, positionals, usage, out);
  const given = headersOf(values.header, usage);
  const provider = getProvider(source.provider);
  if (!provider) throw new Error(`source "${sourceName}" names an unknown provider "${source.provider}"`);
  const req = requestFrom(config, sourceName, file, { ...headersFileFor(file)?.headers, ...given });
  const body = parseBody(req.rawBody, req.headers['content-type'] as string, 'POST', {});
  let described;
  try {
    described = provider.describe(req, body, source, evaluateExpression);
  } catch (err) {
    if (err instanceof IngressError) {
      out(`the ${source.provider} preset finds no event type in this delivery: ${err.message}`);
      return 1;
    }
    throw err;
  }
  const event: TriggerEvent = {
    source: sourceName,
    type: described.type,
    id: described.id,
    received_at: req.receivedAt.toISOString(),
    body,
    headers: req.headers as Record<string, string>,
    query: {},
  };
  out(`event: source=${sourceName} type=${described.type} id=${described.id} (signature not checked in a dry run)`);
  const explained = set.current.index.explain(event);
  for (const e of explained.filter((x) => x.matched)) out(`  ✓ starts ${e.recipe}   (workflow id ${e.recipe}/${sourceName}/${described.id})`);
  for (const e of explained.filter((x) => !x.matched)) out(`  · skips ${e.recipe}: ${e.reason ?? ''}`);
  if (!explained.some((x) => x.matched)) out('  no recipe would start');
  return 0;
}

/** `hookflow send <source> <payload> [--header K:V] [--url U]`: signs like the provider and posts. */
export async function sendCommand(config: Config, argv: string[], out: Out): Promise<number> {
  const usage = 'hookflow send <source> <payload-file> [--header K:V] [--url U]';
  const { values, positionals } = parseCommand(argv, { ...HEADER_OPTION, url: { type: 'string' } }, usage, 2);
  const { sourceName, file, source } = sourceAndPayload(config, positionals, usage, out);
  const given = headersOf(values.header, usage);
  const body = readFileSync(file);
  // A fixture's headers (X-GitHub-Event, a delivery id, …) beside it in <name>.headers.json; --header wins.
  const fixtureHeaders = headersFileFor(file);
  const headers = { ...fixtureHeaders?.headers, ...given };
  // Providers that sign the URL (Twilio) sign the public one, wherever the request is really sent.
  const publicUrl = `${config.publicUrl}/hooks/${sourceName}`;
  const delivery = signDelivery({ source, body, contentType: contentTypeFor(file, headers), target: values.url ?? publicUrl, publicUrl, headers });
  if (!delivery.signed) out(`(no secret for ${sourceName}: ${source.secretOrigin}; sending unsigned)`);
  const res = await fetch(delivery.url, { method: 'POST', headers: delivery.headers, body });
  const text = await res.text();
  out(
    `${res.status} ${res.statusText}  ${path.basename(file)}${fixtureHeaders ? ` (headers from ${path.basename(fixtureHeaders.file)})` : ''} → ${delivery.url}`,
  );
  out(text);
  return res.ok ? 0 : 1;
}

/** `<source> <payload-file>` of send and explain: the recipes that load, and the source they name. */
function sourceAndPayload(config: Config, positionals: string[], usage: string, out: Out) {
  const [sourceName, file] = positionals;
  if (!sourceName || !file) throw usageError(usage);
  const set = loadValidSaying(config.recipesDir, config.env, out);
  const source = set.source(sourceName);
  if (!source) throw new Error(`no source "${sourceName}" (not in sources.yaml, not a preset)`);
  return { sourceName, file, set, source };
}

/** `<name>.headers.json` beside a payload `<name>.<ext>`: an object of header name → value. */
export function headersFileFor(file: string): { file: string; headers: Record<string, string> } | undefined {
  const base = file.replace(/\.[^./\\]+$/, '');
  for (const candidate of [`${base}.headers.json`, `${file}.headers.json`]) {
    if (candidate === file || !existsSync(candidate)) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(candidate, 'utf8'));
    } catch (err) {
      throw new Error(`${candidate} is not JSON: ${(err as Error).message}`, { cause: err });
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${candidate} must hold an object of header name → value`);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) headers[k] = String(v);
    return { file: candidate, headers };
  }
  return undefined;
}

/** `hookflow replay <workflowId>`: the event of a past run, through the recipe again (as it is now), as a new run. */
export async function replayCommand(config: Config, argv: string[], out: Out): Promise<number> {
  const usage = 'hookflow replay <workflowId>';
  const [workflowId] = parseCommand(argv, {}, usage, 1).positionals;
  if (!workflowId) throw usageError(usage);
  const { HookflowClient } = await import('../temporal/client.js');
  const { dataConverterFromEnv, codecFromEnv, ENCODING_ENCRYPTED, CODEC_KEYS_ENV } = await import('../temporal/codec.js');
  // Without TEMPORAL_ADDRESS: the embedded dev server of a running `hookflow start`.
  const client = await HookflowClient.connect({
    address: config.temporalAddress ?? '127.0.0.1:7233',
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    dataConverter: dataConverterFromEnv(config.env),
  });
  try {
    const history = await client.client.workflow.getHandle(workflowId).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    let payload = started?.input?.payloads?.[0];
    if (!payload) throw new Error(`the run ${workflowId} has no input to replay`);
    const encoding = payload.metadata?.encoding ? Buffer.from(payload.metadata.encoding).toString('utf8') : '';
    if (encoding === ENCODING_ENCRYPTED) {
      // History comes back as stored: an encrypted input is decrypted here, with the run's key.
      const codec = codecFromEnv(config.env);
      if (!codec)
        throw new Error(
          `the run ${workflowId} was stored encrypted, and ${CODEC_KEYS_ENV} is not set here: set it to the keys the worker uses (the same value), then replay again`,
        );
      [payload] = await codec.decode([payload]);
    }
    const input = client.client.options.loadedDataConverter.payloadConverter.fromPayload(payload!) as RunInput;
    const set = RecipeSet.load(config.recipesDir, config.env);
    const current = set.current.recipes.find((r) => r.name === input.recipe.name);
    if (!current) out(`recipe ${input.recipe.name} is no longer in ${config.recipesDir}: replaying the snapshot the run carried`);
    const replayId = `${workflowId}/replay-${new Date().toISOString().replace(/[:.]/g, '')}`;
    const started2 = await client.startRun(current ?? input.recipe, input.event, { workflowId: replayId, replayOf: workflowId });
    out(`started ${started2.workflowId} (replay of ${workflowId})`);
    return 0;
  } finally {
    await client.close();
  }
}
