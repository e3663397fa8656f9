// The order hookflow stops in: each part, once it runs, registers how to stop it; stop() stops them
// last-started first (the ingress before the dispatcher, the worker before the journal it writes to,
// the Temporal connections last), each within a bound.
import type { Logger } from '../log.js';

/** Each part's bound: the worker's grace for activities is 30 s, and an unreachable Temporal server must not keep the process from exiting. */
const PART_TIMEOUT_MS = 40_000;

export type Cleanup = () => Promise<void> | void;

export class CleanupStack {
  private readonly parts: Cleanup[] = [];

  constructor(private readonly logger: Logger) {}

  /** How to stop a part that now runs: it stops before every part registered earlier. */
  push(part: Cleanup): void {
    this.parts.push(part);
  }

  /** Stops every part registered so far, last first; a part that fails or hangs is logged and skipped. */
  async stop(): Promise<void> {
    for (const part of this.parts.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(part),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${PART_TIMEOUT_MS / 1000} s`)), PART_TIMEOUT_MS);
          }),
        ]);
      } catch (err) {
        this.logger.warn({ err }, 'error while stopping');
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
