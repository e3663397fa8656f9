// The live set of recipes and sources: loaded at start (an invalid set refuses to start) and
// reloaded when RECIPES_DIR changes; a broken edit keeps the last good set running.
import { watch, type FSWatcher } from 'node:fs';
import { RecipeIndex } from '../core/match.js';
import type { Recipe, SourceConfig } from '../core/types.js';
import { formatProblem, loadRecipes, type Problem } from './load.js';
import { resolveSource } from './sources.js';

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

  /** The source config for a trigger URL's name: declared in sources.yaml or a preset. */
  source(name: string): SourceConfig | undefined {
    return resolveSource(name, this.current.sources, this.env);
  }

  reload(): { ok: true } | { ok: false; problems: Problem[] } {
    const { recipes, sources, problems } = loadRecipes(this.dir, this.env);
    if (problems.length > 0) return { ok: false, problems };
    this.current = snapshotOf(recipes, sources);
    return { ok: true };
  }

  /** Hot reload: re-reads the folder shortly after it changes. */
  watch(onReload: (r: ReturnType<RecipeSet['reload']>) => void): void {
    this.watcher = watch(this.dir, () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => onReload(this.reload()), 200);
    });
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
  }
}
