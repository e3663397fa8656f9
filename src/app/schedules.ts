// Schedule recipes ↔ Temporal Schedules: reconciled at start and after every good reload.
import type { Logger } from '../log.js';
import { ScheduleKeeper } from '../schedules/keeper.js';
import type { HookflowClient } from '../temporal/client.js';
import type { LoadedRecipes } from './recipes.js';

export async function keepSchedules(client: HookflowClient, loaded: LoadedRecipes, taskQueue: string, logger: Logger): Promise<void> {
  const keeper = new ScheduleKeeper(client.client, taskQueue, logger);
  const reconcile = (): Promise<void> =>
    keeper.reconcile(loaded.recipes.current.recipes).then(
      (r) => {
        for (const f of r.failed) logger.error({ recipe: f.recipe, err: f.error }, 'could not keep the schedule of a recipe');
      },
      (err: unknown) => logger.error({ err: String(err) }, 'could not reconcile the schedules with the recipes'),
    );
  await reconcile();
  loaded.onReload(() => void reconcile());
}
