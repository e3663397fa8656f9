// The answer to a webhook whose recipe has `respond:` (spec §8). The delivery is journaled first,
// like any other; then:
// - without `after`: the answer is rendered from the event alone, at once;
// - with `after`: the request starts that recipe's run itself (update-with-start) and waits up to
//   `timeout` for the answer the run gives once the step has a result — else `fallback`, while the
//   run goes on. If Temporal cannot take the run now, the fallback is answered and the run starts
//   from the journal later (its hold ends). A provider's retry is answered from the run (a query)
//   when it has answered already, else with the fallback.
import { eventContext } from '../core/event-context.js';
import { renderResponse, respondTimeoutMs, type RenderedResponse, type ResponseOutcome } from '../core/respond.js';
import type { Recipe, TriggerEvent } from '../core/types.js';
import type { Logger } from '../log.js';
import type { AcceptResult, Journal } from './journal.js';

/** What the responder needs of Temporal (HookflowClient). */
export interface ResponseStarter {
  startRunForResponse(
    recipe: Recipe,
    event: TriggerEvent,
    extra: { workflowId: string },
    timeoutMs: number,
  ): { answer: Promise<ResponseOutcome | 'timeout'>; started: Promise<void> };
  queryResponse(workflowId: string): Promise<ResponseOutcome | null>;
}

/** Extra time the dispatcher leaves a responding run to its request, past the answer's timeout. */
const HOLD_SLACK_MS = 5_000;

/** The recipe that answers: of the matched ones with `respond`, the first by name. */
export function responderOf(matched: Recipe[]): { recipe?: Recipe; others: string[] } {
  const responding = matched.filter((r) => r.respond).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ...(responding[0] ? { recipe: responding[0] } : {}), others: responding.slice(1).map((r) => r.name) };
}

/** How long the dispatcher must leave the responding run alone (the request starts it). */
export function holdFor(recipe: Recipe): number | undefined {
  return recipe.respond?.after !== undefined ? respondTimeoutMs(recipe.respond) + HOLD_SLACK_MS : undefined;
}

export class Responder {
  constructor(
    private readonly starter: ResponseStarter,
    private readonly journal: Journal,
    private readonly logger: Logger,
  ) {}

  async answer(recipe: Recipe, event: TriggerEvent, accepted: AcceptResult): Promise<RenderedResponse> {
    const spec = recipe.respond!;
    const ctx = eventContext(event);
    if (spec.after === undefined) return this.render(recipe, () => renderResponse(spec, ctx), 'respond');
    const run = accepted.runs.find((r) => r.recipe === recipe.name);
    if (!run) return this.fallback(recipe, ctx, 'the recipe has no run for this delivery');
    let outcome: ResponseOutcome | 'timeout';
    if (accepted.duplicate) {
      // A retry of a delivery: the run (if it has started) may have answered already.
      outcome = (await this.starter.queryResponse(run.workflowId).catch(() => null)) ?? {
        fallback: true,
        reason: 'a repeated delivery whose run has not answered (yet)',
      };
    } else {
      const { answer, started } = this.starter.startRunForResponse(recipe, event, { workflowId: run.workflowId }, respondTimeoutMs(spec));
      started.then(
        () => this.journal.settle([{ workflowId: run.workflowId, outcome: 'started' }]).catch(() => {}),
        () => {
          /* not started now: the dispatcher starts it from the journal once the hold ends */
        },
      );
      outcome = await answer;
    }
    if (outcome === 'timeout') return this.fallback(recipe, ctx, `step "${spec.after}" had no result within ${spec.timeout ?? 'the default timeout'}`);
    if ('fallback' in outcome) return this.fallback(recipe, ctx, outcome.reason);
    return outcome.response;
  }

  private fallback(recipe: Recipe, ctx: Record<string, unknown>, why: string): RenderedResponse {
    this.logger.info({ recipe: recipe.name, reason: why }, 'answered the sender with the respond fallback');
    const fb = recipe.respond?.fallback ?? { status: 200, body: '' };
    return this.render(recipe, () => renderResponse(fb, ctx), 'respond.fallback');
  }

  /** A template error is the recipe's, not the sender's: answer 200 with an empty body and log why. */
  private render(recipe: Recipe, fn: () => RenderedResponse, what: string): RenderedResponse {
    try {
      return fn();
    } catch (err) {
      this.logger.error(
        { recipe: recipe.name, err: err instanceof Error ? err.message : String(err) },
        `${what} could not be rendered; answered 200 with an empty body`,
      );
      return { status: 200, headers: {}, body: '' };
    }
  }
}
