// Which later events a recipe's `wait_for` steps listen to, by source: the ingress subscribes a
// new run to those sources' mailboxes and routes matching events there. PURE.
import type { Recipe, Step } from './types.js';

export function waitsOf(recipe: Recipe): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (steps: Step[] | undefined): void => {
    for (const s of steps ?? []) {
      if ('wait_for' in s) {
        const source = s.wait_for.source ?? recipe.on.source;
        const events = Array.isArray(s.wait_for.event) ? s.wait_for.event : [s.wait_for.event];
        out.set(source, [...new Set([...(out.get(source) ?? []), ...events])]);
      }
      if ('then' in s) walk(s.then);
      if ('else' in s) walk(s.else);
      if ('for_each' in s) walk(s.steps);
    }
  };
  walk(recipe.steps);
  return out;
}
