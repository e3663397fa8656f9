// The ingress's admin side, behind the admin access rule: the request-log API (/api), the console's
// own API (/api/console) and its page (/console, with its sign-in).
import express, { type Router } from 'express';
import type { Outbox } from '../activities/outbox.js';
import { consoleApi } from '../api/console.js';
import { requestsApi } from '../api/requests.js';
import type { Config } from '../config.js';
import { consoleLogin, consolePage } from '../console/serve.js';
import { adminAccess } from '../ingress/admin-access.js';
import type { Journal } from '../intake/journal.js';
import type { Replayer } from '../intake/replay.js';
import type { HookflowClient } from '../temporal/client.js';
import type { LoadedRecipes } from './recipes.js';

export interface AdminRoutesDeps {
  journal: Journal;
  loaded: LoadedRecipes;
  replayer: Replayer;
  client: HookflowClient;
  /** The dispatcher's current concurrency, for /api/intake. */
  concurrency: () => number;
  temporalUiUrl: string | undefined;
  /** The ingress's own URL, once it listens. */
  selfUrl: () => string | undefined;
  outbox: Outbox | undefined;
}

export function adminRoutes(config: Config, deps: AdminRoutesDeps): { api: Router; console: Router } {
  const { journal, loaded, temporalUiUrl, outbox } = deps;
  const guard = adminAccess(config.env, { consoleCookie: true });
  const api = express.Router();
  api.use(guard);
  api.use(
    '/console',
    consoleApi({
      journal,
      recipes: loaded.recipes,
      publicUrl: config.publicUrl,
      selfUrl: deps.selfUrl,
      namespace: config.namespace,
      ...(temporalUiUrl ? { temporalUiUrl } : {}),
      temporalProblem: () => deps.client.unhealthyReason(),
      warnings: loaded.warnings,
      ...(outbox ? { outbox } : {}),
    }),
  );
  api.use(
    requestsApi({
      journal,
      replayer: deps.replayer,
      recipes: loaded.recipes,
      namespace: config.namespace,
      concurrency: deps.concurrency,
      ...(temporalUiUrl ? { temporalUiUrl } : {}),
    }),
  );
  return { api, console: express.Router().use(consoleLogin(config.env), guard, consolePage()) };
}
