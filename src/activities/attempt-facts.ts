// What one attempt of an outbound activity learned about itself (the request it sent, the status
// or message id it got), gathered for the attempt's single log line. The worker writes that line
// (withAttempt in src/temporal/worker.ts) with the run, step and attempt number beside these facts,
// so an activity notes its facts here instead of logging a line of its own.
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<Record<string, unknown>>();

/** Adds to the facts of the attempt running now; does nothing outside one (a test calling the activity directly). */
export function noteAttempt(facts: Record<string, unknown>): void {
  const into = current.getStore();
  if (into) Object.assign(into, facts);
}

/** Runs one attempt; what it notes (also when it throws) lands in `into`. */
export function gatherAttemptFacts<T>(into: Record<string, unknown>, attempt: () => Promise<T>): Promise<T> {
  return current.run(into, attempt);
}
