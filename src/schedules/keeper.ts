// `on: { schedule }` recipes as Temporal Schedules (spec §9), kept in step with the recipe files:
// at start-up and after every reload, each schedule recipe has a schedule `hookflow/<task
// queue>/<recipe>` whose action starts the run workflow with the recipe as it is now; a schedule
// whose recipe is gone (or no longer scheduled) is deleted. A fire that would overlap a run still
// going is skipped. Idempotent, so several ingress processes may all reconcile.
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
} from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { parseDuration } from '../core/duration.js';
import { RUN_WORKFLOW, SCHEDULE_EVENT, SCHEDULE_SOURCE } from '../core/runtime-contract.js';
import type { Recipe, RunInput } from '../core/types.js';
import { recipeVersion } from '../intake/rows.js';
import type { Logger } from '../log.js';
import { EVENT_KEY, RECIPE_KEY, SOURCE_KEY } from '../temporal/search-attributes.js';

export interface ReconcileOutcome {
  created: string[];
  updated: string[];
  removed: string[];
  unchanged: string[];
  failed: Array<{ recipe: string; error: string }>;
}

/** The note on a schedule records the recipe version it runs, so an unchanged recipe is left alone. */
const NOTE_PREFIX = 'hookflow recipe version ';

export class ScheduleKeeper {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly logger: Logger,
  ) {}

  private get prefix(): string {
    return `hookflow/${this.taskQueue}/`;
  }

  scheduleId(recipe: string): string {
    return `${this.prefix}${recipe}`;
  }

  /** Creates, updates and deletes schedules so they match the schedule recipes given. */
  async reconcile(recipes: Recipe[]): Promise<ReconcileOutcome> {
    const out: ReconcileOutcome = { created: [], updated: [], removed: [], unchanged: [], failed: [] };
    const wanted = new Map(recipes.filter((r) => r.on.schedule !== undefined).map((r) => [this.scheduleId(r.name), r]));
    for (const [id, recipe] of wanted) {
      try {
        const result = await this.ensure(id, recipe);
        out[result].push(recipe.name);
      } catch (err) {
        out.failed.push({ recipe: recipe.name, error: err instanceof Error ? err.message : String(err) });
      }
    }
    for await (const s of this.client.schedule.list()) {
      if (!s.scheduleId.startsWith(this.prefix) || wanted.has(s.scheduleId)) continue;
      try {
        await this.client.schedule.getHandle(s.scheduleId).delete();
        out.removed.push(s.scheduleId.slice(this.prefix.length));
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) out.failed.push({ recipe: s.scheduleId.slice(this.prefix.length), error: String(err) });
      }
    }
    const changed = out.created.length + out.updated.length + out.removed.length;
    if (changed > 0 || out.failed.length > 0) {
      this.logger.info({ created: out.created, updated: out.updated, removed: out.removed, failed: out.failed }, 'schedules reconciled with the recipes');
    }
    return out;
  }

  private async ensure(id: string, recipe: Recipe): Promise<'created' | 'updated' | 'unchanged'> {
    const note = NOTE_PREFIX + recipeVersion(recipe).hash;
    const spec = specOf(recipe);
    const action = this.actionOf(recipe);
    const handle = this.client.schedule.getHandle(id);
    try {
      const d = await handle.describe();
      if (d.state.note === note) return 'unchanged';
      await handle.update((prev) => ({
        ...prev,
        spec,
        action,
        policies: { ...prev.policies, overlap: ScheduleOverlapPolicy.SKIP },
        state: { ...prev.state, note },
      }));
      return 'updated';
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    try {
      await this.client.schedule.create({
        scheduleId: id,
        spec,
        action,
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
        state: { note },
      });
      return 'created';
    } catch (err) {
      // Another process created it a moment ago: make it ours.
      if (err instanceof ScheduleAlreadyRunning) return this.ensure(id, recipe);
      throw err;
    }
  }

  private actionOf(recipe: Recipe): ScheduleOptionsStartWorkflowAction<never> {
    // The event of every fire: the run replaces id and received_at with the fire's scheduled time.
    const input: RunInput = {
      recipe,
      event: { source: SCHEDULE_SOURCE, type: SCHEDULE_EVENT, id: 'scheduled', received_at: new Date(0).toISOString(), body: {}, headers: {}, query: {} },
    };
    return {
      type: 'startWorkflow',
      workflowType: RUN_WORKFLOW,
      workflowId: `${recipe.name}/${SCHEDULE_SOURCE}`,
      taskQueue: this.taskQueue,
      args: [input] as never,
      typedSearchAttributes: new TypedSearchAttributes([
        { key: RECIPE_KEY, value: recipe.name },
        { key: SOURCE_KEY, value: SCHEDULE_SOURCE },
        { key: EVENT_KEY, value: SCHEDULE_EVENT },
      ]),
      memo: { recipe: recipe.name, source: SCHEDULE_SOURCE },
      staticSummary: `${recipe.name} ← schedule ${describeSchedule(recipe)}`,
    };
  }
}

function specOf(recipe: Recipe): ScheduleSpec {
  const s = recipe.on.schedule!;
  const timezone = recipe.on.timezone ?? 'UTC';
  return typeof s === 'string' ? { cronExpressions: [s.trim()], timezone } : { intervals: [{ every: parseDuration(s.every) }], timezone };
}

export function describeSchedule(recipe: Recipe): string {
  const s = recipe.on.schedule;
  if (s === undefined) return '';
  return typeof s === 'string' ? `"${s}"${recipe.on.timezone ? ` (${recipe.on.timezone})` : ''}` : `every ${s.every}`;
}
