// What the console reads besides the request log (/api/console/*, behind the admin access rule):
// sources with their trigger URLs and secret status, recipes with their problems and test results,
// the backlog, and the "send a test event" button (a delivery signed as the provider would, POSTed
// to this hookflow's own trigger URL, so it is journaled and judged like any other).
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { emailAddressProblem } from '../activities/email.js';
import type { ActivityCall } from '../core/interpreter.js';
import { runRecipeTest } from '../core/recipe-test.js';
import type { EmailParams, Json } from '../core/types.js';
import type { Journal } from '../intake/journal.js';
import { signDelivery } from '../providers/sign-delivery.js';
import { isVerifyNone } from '../providers/verify-core.js';
import { formatProblem } from '../recipes/load.js';
import type { RecipeSet } from '../recipes/recipe-set.js';
import { RESERVED_SOURCES } from '../recipes/sources.js';

export interface ConsoleApiDeps {
  journal: Journal;
  recipes: RecipeSet;
  publicUrl: string;
  /** Where this process's ingress answers (loopback), once it listens. */
  selfUrl: () => string | undefined;
  namespace: string;
  temporalUiUrl?: string;
  /** Why Temporal does not answer, or undefined when it does. */
  temporalProblem?: () => Promise<string | undefined>;
  /** Settings the loaded recipes need and the environment lacks (start-up warnings). */
  warnings?: () => string[];
  /** The development outbox, when it is on. */
  outbox?: { list(limit: number): Promise<unknown[]> };
}

class BadInput extends Error {}

export interface SourceView {
  name: string;
  provider: string;
  triggerUrl: string;
  /** `set`: signed deliveries are checked; `missing`: every delivery is refused until `secretFrom` is set; `unsigned`: nothing to check. */
  secret: 'set' | 'missing' | 'unsigned';
  secretFrom: string;
  recipes: string[];
  /** A body and headers to start the test-event form with (from a recipe's own tests). */
  example?: { body: string; headers: Record<string, string> };
}

export function consoleApi(deps: ConsoleApiDeps): Router {
  const r = express.Router();
  r.use(express.json({ limit: '1mb' }));

  const sources = (): SourceView[] => {
    const snap = deps.recipes.current;
    const names = new Set<string>([...snap.sources.keys(), ...snap.recipes.map((x) => x.on.source)]);
    const out: SourceView[] = [];
    for (const name of [...names].sort()) {
      if (RESERVED_SOURCES.includes(name)) continue; // built-in: no trigger URL
      const src = deps.recipes.source(name);
      const recipes = snap.recipes.filter((x) => x.on.source === name);
      const firstTest = recipes.flatMap((x) => x.tests ?? [])[0];
      const unsigned = isVerifyNone(src?.verify);
      out.push({
        name,
        provider: src?.provider ?? '(unknown)',
        triggerUrl: `${deps.publicUrl}/hooks/${name}`,
        secret: unsigned ? 'unsigned' : src && src.secrets.length > 0 ? 'set' : 'missing',
        secretFrom: src?.secretOrigin ?? 'sources.yaml',
        recipes: recipes.map((x) => x.name),
        ...(firstTest ? { example: { body: JSON.stringify(firstTest.event, null, 2), headers: firstTest.headers ?? {} } } : {}),
      });
    }
    return out;
  };

  r.get('/overview', async (_req, res) => {
    const snap = deps.recipes.current;
    const [stats, temporal] = await Promise.all([
      deps.journal.stats().catch((err: unknown) => ({ error: String((err as Error).message ?? err) })),
      deps.temporalProblem?.() ?? Promise.resolve(undefined),
    ]);
    res.json({
      publicUrl: deps.publicUrl,
      namespace: deps.namespace,
      temporalUiUrl: deps.temporalUiUrl ?? null,
      temporal: temporal ? { ok: false, reason: temporal } : { ok: true },
      backlog: stats,
      sources: sources(),
      recipes: snap.recipes.map((x) => ({
        name: x.name,
        description: x.description ?? '',
        source: x.on.source,
        event: x.on.event ?? null,
        tests: (x.tests ?? []).length,
      })),
      loadedAt: snap.loadedAt.toISOString(),
      problems: deps.recipes.problems.map((p) => ({ ...p, text: formatProblem(p) })),
      warnings: deps.warnings?.() ?? [],
      outbox: deps.outbox ? true : false,
    });
  });

  // The recipes' own tests (as `hookflow test` runs them: the real interpreter, no side effects).
  r.post('/recipe-tests', async (_req, res) => {
    const check = (call: ActivityCall): string | undefined => (call.kind === 'email' ? emailAddressProblem(call.params as Partial<EmailParams>) : undefined);
    const results: Array<{ recipe: string; test: string; passed: boolean; diff: string[] }> = [];
    for (const recipe of deps.recipes.current.recipes) {
      for (const test of recipe.tests ?? []) {
        try {
          const o = await runRecipeTest(recipe, test, undefined, check);
          results.push({ recipe: recipe.name, test: test.name, passed: o.passed, diff: o.diff });
        } catch (err) {
          results.push({ recipe: recipe.name, test: test.name, passed: false, diff: [String((err as Error).message ?? err)] });
        }
      }
    }
    res.json({ passed: results.filter((x) => x.passed).length, failed: results.filter((x) => !x.passed).length, results });
  });

  r.post('/test-event', async (req, res) => {
    const b = (req.body ?? {}) as Record<string, Json>;
    const name = typeof b.source === 'string' ? b.source : '';
    if (!name) throw new BadInput('a test event needs "source"');
    const src = deps.recipes.source(name);
    if (!src) throw new BadInput(`no source "${name}" (not in sources.yaml, not a preset)`);
    const text = typeof b.body === 'string' ? b.body : JSON.stringify(b.body ?? {});
    const given: Record<string, string> = {};
    if (b.headers && typeof b.headers === 'object' && !Array.isArray(b.headers))
      for (const [k, v] of Object.entries(b.headers)) if (typeof v === 'string') given[k.toLowerCase()] = v;
    const contentType = given['content-type'] ?? (/^\s*[[{]/.test(text) ? 'application/json' : 'text/plain');
    const self = deps.selfUrl();
    if (!self) throw new BadInput('the ingress is not listening yet');
    const body = Buffer.from(text, 'utf8');
    const d = signDelivery({
      source: src,
      body,
      contentType,
      target: `${self}/hooks/${encodeURIComponent(name)}`,
      publicUrl: `${deps.publicUrl}/hooks/${encodeURIComponent(name)}`,
      headers: given,
    });
    const answer = await fetch(d.url, { method: 'POST', headers: d.headers, body });
    const answerText = await answer.text();
    let json: unknown = answerText;
    try {
      json = JSON.parse(answerText);
    } catch {
      // not JSON (a recipe's own answer): shown as text
    }
    res.json({
      status: answer.status,
      request: answer.headers.get('x-hookflow-request'),
      signed: d.signed,
      ...(d.signed ? {} : { note: `no secret for ${name} (${src.secretOrigin}): sent unsigned` }),
      answer: json,
    });
  });

  r.get('/outbox', async (req, res) => {
    if (!deps.outbox) return void res.json({ enabled: false, items: [] });
    const limit = Math.min(Math.max(Number(req.query.limit) || 100, 1), 1000);
    res.json({ enabled: true, items: await deps.outbox.list(limit) });
  });

  r.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof BadInput) return void res.status(400).json({ error: { code: 'bad_request', message: err.message } });
    const status = (err as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500)
      return void res.status(status).json({ error: { code: 'bad_request', message: (err as Error).message } });
    next(err);
  });
  return r;
}
