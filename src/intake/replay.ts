// Replaying recorded requests: a request's verified event goes through the recipes as they are
// now, as a new delivery (new run ids `<recipe>/<source>/<id>/replay-<time>`, marked as replays of
// the original runs). Refused requests cannot be replayed: they never became an event, and their
// signature headers are not kept.
import { runWorkflowId } from '../core/runtime-contract.js';
import type { Recipe } from '../core/types.js';
import type { RecipeSet } from '../recipes/recipe-set.js';
import type { Intake } from './intake.js';
import type { AcceptResult, RequestDetail, RequestSummary, Verdict } from './journal.js';
import { newRequestId } from './request-id.js';

export class ReplayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ReplayError';
  }
}

export interface BulkReplayFilter {
  source: string;
  /** Only runs of this recipe. */
  recipe?: string;
  /** ms since the epoch */
  since?: number;
  /** Default: accepted and no_match (the requests that carried an event of their own). */
  verdict?: Verdict;
  /** Only requests with a run that failed in Temporal. */
  failed?: boolean;
  dryRun?: boolean;
  /** At most this many requests (default 1,000). */
  limit?: number;
}

export interface BulkReplayItem {
  request: string;
  event: { type: string; id: string };
  recipes: string[];
  /** The replay's request id and runs (absent in a dry run). */
  replay?: { request: string; runs: AcceptResult['runs'] };
}

/** Workflow ids of runs of `source` that failed in Temporal since `since` (a visibility query). */
export type FailedRuns = (source: string, since: number | undefined) => Promise<Set<string>>;

export class Replayer {
  constructor(
    private readonly intake: Intake,
    private readonly recipes: RecipeSet,
    private readonly failedRuns?: FailedRuns,
  ) {}

  /** Replays one recorded request; `recipe` limits it to that recipe. */
  async replayRequest(id: string, opts: { recipe?: string } = {}): Promise<{ request: string; runs: AcceptResult['runs']; recipes: string[] }> {
    const detail = await this.intake.journal.getRequest(id);
    if (!detail) throw new ReplayError(404, 'unknown_request', `no request ${id} in the request log (it may be older than HOOKFLOW_JOURNAL_RETENTION)`);
    const recipes = this.recipesFor(detail, opts.recipe);
    const result = await this.replay(detail, recipes);
    return { request: result.requestId, runs: result.runs, recipes: recipes.map((r) => r.name) };
  }

  /** Replays (or with dryRun lists) the requests of a source that pass the filter, oldest first. */
  async replayMany(f: BulkReplayFilter): Promise<BulkReplayItem[]> {
    const limit = Math.max(1, Math.min(f.limit ?? 1000, 10_000));
    const verdicts: Verdict[] = f.verdict ? [f.verdict] : ['accepted', 'no_match'];
    const found: RequestSummary[] = [];
    for (const verdict of verdicts) {
      let before: string | undefined;
      while (found.length < limit) {
        const page = await this.intake.journal.listRequests({
          source: f.source,
          verdict,
          ...(f.since !== undefined ? { since: f.since } : {}),
          ...(before ? { before } : {}),
          limit: 500,
        });
        found.push(...page.filter((r) => !r.replayOf));
        if (page.length < 500) break;
        before = page[page.length - 1]!.id;
      }
    }
    let selected = found.sort((a, b) => (a.id < b.id ? -1 : 1)).slice(0, limit);
    if (f.failed) {
      if (!this.failedRuns) throw new ReplayError(503, 'temporal_unavailable', '--failed needs Temporal to say which runs failed, and it is not connected');
      const failed = await this.failedRuns(f.source, f.since);
      selected = selected.filter((r) => r.runs.some((run) => failed.has(run.workflowId) && (!f.recipe || run.recipe === f.recipe)));
    }
    const out: BulkReplayItem[] = [];
    for (const summary of selected) {
      const detail = await this.intake.journal.getRequest(summary.id);
      if (!detail?.triggerEvent) continue;
      const recipes = this.recipesFor(detail, f.recipe, true);
      if (recipes.length === 0) continue;
      const item: BulkReplayItem = {
        request: detail.id,
        event: { type: detail.triggerEvent.type, id: detail.triggerEvent.id },
        recipes: recipes.map((r) => r.name),
      };
      if (!f.dryRun) {
        const r = await this.replay(detail, recipes);
        item.replay = { request: r.requestId, runs: r.runs };
      }
      out.push(item);
    }
    return out;
  }

  /** The recipes that take the request's event now (all of them, or the one named). */
  private recipesFor(detail: RequestDetail, recipe: string | undefined, quiet = false): Recipe[] {
    const event = detail.triggerEvent;
    if (!event) {
      throw new ReplayError(
        409,
        'not_replayable',
        `request ${detail.id} was ${detail.verdict} (${detail.error?.code ?? 'no event'}): it never became an event and its signature headers are not kept, so it cannot be replayed; ask the provider to deliver it again`,
      );
    }
    const snapshot = this.recipes.current;
    if (recipe !== undefined) {
      const r = snapshot.recipes.find((x) => x.name === recipe);
      if (!r) {
        if (quiet) return [];
        throw new ReplayError(404, 'unknown_recipe', `no recipe "${recipe}" is loaded`);
      }
      if (r.on.source !== event.source) {
        if (quiet) return [];
        throw new ReplayError(409, 'wrong_source', `recipe "${recipe}" listens to source "${r.on.source}", not "${event.source}"`);
      }
      return [r];
    }
    return snapshot.index.match(event);
  }

  private async replay(detail: RequestDetail, recipes: Recipe[]): Promise<AcceptResult> {
    const original = detail.triggerEvent!;
    const now = Date.now();
    const stamp = new Date(now).toISOString().replace(/[-:.]/g, '');
    // Received now: a replay's wait_for looks at events from now on, not the original's.
    const event = { ...original, received_at: new Date(now).toISOString() };
    return this.intake.deliver({
      request: {
        id: newRequestId(now),
        receivedAt: now,
        source: detail.source,
        method: detail.method,
        path: detail.path,
        headers: detail.headers,
        body: detail.body,
        bodySize: detail.bodySize,
        verdict: 'accepted',
        status: 200,
        event: { type: event.type, id: event.id },
        replayOf: detail.id,
      },
      event,
      deliveryKey: `${original.id}/replay-${stamp}`,
      runs: recipes.map((recipe) => {
        const first = runWorkflowId(recipe.name, event.source, original.id);
        return { recipe, workflowId: `${first}/replay-${stamp}`, replayOf: first };
      }),
    });
  }
}
