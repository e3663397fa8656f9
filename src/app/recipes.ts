// The ingress's recipes: loaded at start, with a warning logged for each setting they need and the
// environment lacks, and (with hot reload) reloaded on change, keeping the last good set.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { formatProblem } from '../recipes/load.js';
import { RecipeSet } from '../recipes/recipe-set.js';
import { missingSettings } from './preflight.js';
import type { CleanupStack } from './shutdown.js';

export interface LoadedRecipes {
  recipes: RecipeSet;
  /** Settings the loaded recipes need and the environment lacks (as of the last good load). */
  warnings(): string[];
  /** Work to redo after every good reload (the schedules). */
  onReload(fn: () => void): void;
}

export function loadRecipes(
  config: Config,
  opts: { hotReload: boolean; outbox: boolean; say: (line: string) => void; logger: Logger; cleanups: CleanupStack },
): LoadedRecipes {
  const { say, logger } = opts;
  const recipes = RecipeSet.load(config.recipesDir, config.env);
  say(`loaded ${recipes.current.recipes.length} recipe(s) from ${path.relative(process.cwd(), config.recipesDir) || '.'}`);
  let warnings = missingSettings(recipes.current.recipes, config.env, { outbox: opts.outbox });
  // Logged once, by the logger (a readable line on a terminal, JSON for collectors), not also said.
  for (const w of warnings) logger.warn({ missing_setting: true }, w);
  const afterReload: Array<() => void> = [];
  if (opts.hotReload) {
    let known = recipes.triggerSources();
    const envAtStart = dotEnvText(config.home);
    recipes.watch((r) => {
      if (r.ok) {
        logger.info({ recipes: recipes.current.recipes.length }, `recipes reloaded: ${recipes.current.recipes.length} recipe(s)`);
        const now = recipes.triggerSources();
        for (const s of now) if (!known.includes(s)) say(`  new trigger URL: ${config.publicUrl}/hooks/${s}`);
        known = now;
        warnings = missingSettings(recipes.current.recipes, config.env, { outbox: opts.outbox });
        for (const w of warnings) logger.warn({ missing_setting: true }, w);
        if (dotEnvText(config.home) !== envAtStart)
          say('⚠ .env changed since hookflow started: settings are read once, at start — restart hookflow to apply them');
        for (const fn of afterReload) fn();
      } else {
        logger.error({ problems: r.problems }, 'recipes changed but do not load; keeping the last good set');
        say(`recipes changed but do not load; keeping the last good set:\n${r.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
      }
    });
    opts.cleanups.push(() => recipes.close());
  }
  return { recipes, warnings: () => warnings, onReload: (fn) => afterReload.push(fn) };
}

/** The text of `.env` in the working directory ('' when there is none). */
function dotEnvText(home: string): string {
  try {
    return readFileSync(path.join(home, '.env'), 'utf8');
  } catch {
    return '';
  }
}
