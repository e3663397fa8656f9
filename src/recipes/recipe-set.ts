// The live set of recipes and sources: loaded at start (an invalid set refuses to start) and
// reloaded when RECIPES_DIR changes; a broken edit keeps the last good set running.
import { watch, type FSWatcher } from 'node:fs';
import { RecipeIndex } from '../core/match.js';
import type { Recipe, SourceConfig } from '../core/types.js';
import { formatProblem, loadRecipes, type Problem } from './load.js';
import { RESERVED_SOURCES, resolveSource } from './sources.js';

export class RecipeLoadError extends Error {
  constructor(readonly problems: Problem[]) {
    super(`${problems.length} problem(s) in the recipes:\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'RecipeLoadError';
  }
}

export interface RecipeSnapshot {
  recipes: Recipe[];
  index: RecipeIndex;
  sources: Map<string, SourceConfig>;
  loadedAt: Date;
}

export function snapshotOf(recipes: Recipe[], sources: Map<string, SourceConfig>): RecipeSnapshot {
  return { recipes, index: new RecipeIndex(recipes), sources, loadedAt: new Date() };
}

export class RecipeSet {
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  /** Problems of the last reload that failed (the last good set still runs); empty after a good one. */
  problems: Problem[] = [];

  private constructor(
    readonly dir: string,
    private readonly env: Record<string, string | undefined>,
    public current: RecipeSnapshot,
  ) {}

  /** Loads the folder; throws RecipeLoadError listing every problem. */
  static load(dir: string, env: Record<string, string | undefined> = process.env): RecipeSet {
    const { recipes, sources, problems } = loadRecipes(dir, env);
    if (problems.length > 0) throw new RecipeLoadError(problems);
    return new RecipeSet(dir, env, snapshotOf(recipes, sources));
  }

  /**
   * Loads what loads: the recipes without problems, with the problems kept in `problems`. For the
   * dry-run commands (`send`, `explain`), where one broken file should not stop a look at the others.
   */
  static loadValid(dir: string, env: Record<string, string | undefined> = process.env): RecipeSet {
    const { recipes, sources, problems } = loadRecipes(dir, env);
    const set = new RecipeSet(dir, env, snapshotOf(recipes, sources));
    set.problems = problems;
    return set;
  }

  /** The source config for a trigger URL's name: declared in sources.yaml or a preset. */
  source(name: string): SourceConfig | undefined {
    return resolveSource(name, this.current.sources, this.env);
  }

  /** The sources that have a trigger URL (/hooks/<name>): those the recipes use, less hookflow's own (run.failed, schedules). */
  triggerSources(): string[] {
    return [...new Set(this.current.recipes.map((r) => r.on.source))].filter((s) => !RESERVED_SOURCES.includes(s)).sort();
  }

  /** Loads the folder again; never throws: anything that goes wrong is a failed reload that keeps the last good set. */
  reload(): { ok: true } | { ok: false; problems: Problem[] } {
    try {
      const { recipes, sources, problems } = loadRecipes(this.dir, this.env);
      this.problems = problems;
      if (problems.length > 0) return { ok: false, problems };
      this.current = snapshotOf(recipes, sources);
      return { ok: true };
    } catch (err) {
      const message = `the recipes could not be read: ${err instanceof Error ? err.message : String(err)}`;
      this.problems = [{ file: this.dir, line: 1, col: 1, message }];
      return { ok: false, problems: this.problems };
    }
  }

  /** Hot reload: re-reads the folder shortly after it changes. Runs on a timer, so nothing may escape it. */
  watch(onReload: (r: ReturnType<RecipeSet['reload']>) => void): void {
    this.watcher = watch(this.dir, () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        const result = this.reload();
        try {
          onReload(result);
        } catch {
          // A failing listener (a logger, say) must not take the server down.
        }
      }, 200);
    });
    // A watcher error (the folder removed, too many watches) is reported by the next reload, not thrown.
    this.watcher.on('error', () => {});
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
  }
}
