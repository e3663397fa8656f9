// Which recipes an event starts. PURE (workflow sandbox safe, though used by the ingress).
//
// Recipes are indexed by source, then by event type: exact types in a Map, globs compiled once per
// distinct pattern. Matching one event costs a Map lookup plus the globs of ITS source, whatever the
// number of recipes for other sources or types; then each candidate's `on.if` filter runs (CEL, with
// `event` = body, `headers`, `query`, `trigger`, `vars`).

import { eventContext } from './event-context.js';
import { compileExpression, isTruthy } from './expr.js';
import { globMatches, globToRegExp } from './glob.js';
import type { Recipe, TriggerEvent } from './types.js';

interface Entry {
  recipe: Recipe;
  /** Position in the constructor's list: results keep that order. */
  order: number;
}

interface Glob {
  pattern: string;
  re: RegExp;
  entries: Entry[];
}

interface SourceBucket {
  exact: Map<string, Entry[]>;
  /** Recipes with `event: "*"`. */
  any: Entry[];
  /** Globs by their literal text before the first `*`: only those whose prefix the type starts with are tried. */
  globs: Map<string, Glob[]>;
  /** Distinct lengths of those prefixes. */
  prefixLengths: number[];
}

export interface MatchExplanation {
  recipe: string;
  matched: boolean;
  reason?: string;
}

/** Event type patterns of a recipe's `on.event`, as a list. */
export function eventPatterns(event: string | string[]): string[] {
  return Array.isArray(event) ? event : [event];
}

/** True when one event type matches one pattern (exact or glob). */
export const eventTypeMatches = globMatches;

/** The context `on.if` is evaluated in. */
export function filterContext(event: TriggerEvent, recipe?: Recipe): Record<string, unknown> {
  return { ...eventContext(event), vars: recipe?.vars ?? {} };
}

export class RecipeIndex {
  private readonly sources = new Map<string, SourceBucket>();
  private readonly recipes: Recipe[];

  constructor(recipes: Recipe[]) {
    this.recipes = recipes;
    recipes.forEach((recipe, order) => {
      const entry: Entry = { recipe, order };
      let bucket = this.sources.get(recipe.on.source);
      if (!bucket) {
        bucket = { exact: new Map(), any: [], globs: new Map(), prefixLengths: [] };
        this.sources.set(recipe.on.source, bucket);
      }
      // A recipe listing two patterns that both match must still start once.
      for (const pattern of new Set(eventPatterns(recipe.on.event))) {
        if (pattern === '*') {
          bucket.any.push(entry);
        } else if (pattern.includes('*')) {
          const prefix = pattern.slice(0, pattern.indexOf('*'));
          let group = bucket.globs.get(prefix);
          if (!group) {
            group = [];
            bucket.globs.set(prefix, group);
            if (!bucket.prefixLengths.includes(prefix.length)) bucket.prefixLengths.push(prefix.length);
          }
          let glob = group.find((g) => g.pattern === pattern);
          if (!glob) {
            glob = { pattern, re: globToRegExp(pattern), entries: [] };
            group.push(glob);
          }
          glob.entries.push(entry);
        } else {
          const list = bucket.exact.get(pattern);
          if (list) list.push(entry);
          else bucket.exact.set(pattern, [entry]);
        }
      }
    });
  }

  /** Recipes whose source and event type match, before `on.if`, in file order. */
  private candidates(event: TriggerEvent): Entry[] {
    const bucket = this.sources.get(event.source);
    if (!bucket) return [];
    const found: Entry[] = [];
    const exact = bucket.exact.get(event.type);
    if (exact) found.push(...exact);
    found.push(...bucket.any);
    for (const len of bucket.prefixLengths) {
      if (len > event.type.length) continue;
      const group = bucket.globs.get(event.type.slice(0, len));
      if (group) for (const g of group) if (g.re.test(event.type)) found.push(...g.entries);
    }
    if (found.length < 2) return found;
    const seen = new Set<number>();
    return found.filter((e) => (seen.has(e.order) ? false : (seen.add(e.order), true))).sort((a, b) => a.order - b.order);
  }

  /** Evaluates `on.if`; returns undefined when it passes, else the reason. */
  private filterReason(recipe: Recipe, event: TriggerEvent): string | undefined {
    const cond = recipe.on.if;
    if (cond === undefined) return undefined;
    try {
      const v = compileExpression(cond).evaluate(filterContext(event, recipe));
      return isTruthy(v) ? undefined : `filter \`${cond}\` is ${JSON.stringify(v)}`;
    } catch (e) {
      return `filter \`${cond}\` failed: ${(e as Error).message}`;
    }
  }

  /** Recipes this event starts, in the order they were given. A filter that errors counts as not matching. */
  match(event: TriggerEvent): Recipe[] {
    const out: Recipe[] = [];
    for (const { recipe } of this.candidates(event)) {
      if (this.filterReason(recipe, event) === undefined) out.push(recipe);
    }
    return out;
  }

  /** For every recipe: whether it matches, and if not, why (source, event type or filter). */
  explain(event: TriggerEvent): MatchExplanation[] {
    const candidates = new Set(this.candidates(event).map((e) => e.recipe));
    return this.recipes.map((recipe) => {
      const name = recipe.name;
      if (recipe.on.source !== event.source) {
        return { recipe: name, matched: false, reason: `listens to source "${recipe.on.source}", not "${event.source}"` };
      }
      if (!candidates.has(recipe)) {
        const list = eventPatterns(recipe.on.event)
          .map((p) => JSON.stringify(p))
          .join(', ');
        return { recipe: name, matched: false, reason: `event type "${event.type}" is not in ${list}` };
      }
      const reason = this.filterReason(recipe, event);
      return reason === undefined ? { recipe: name, matched: true } : { recipe: name, matched: false, reason };
    });
  }
}
