// The intake journal, opened once per process: at start by the ingress, or by a worker alone on its
// first wait_for. It is registered for shutdown before the worker and the dispatcher that use it,
// so it closes after them.
import type { Config } from '../config.js';
import type { Journal } from '../intake/journal.js';
import { openJournal } from '../intake/open-journal.js';
import type { CleanupStack } from './shutdown.js';

/** Opens the journal on the first call; every call gets the same one. */
export function sharedJournal(config: Config, cleanups: CleanupStack): () => Promise<Journal> {
  let opening: Promise<Journal> | undefined;
  cleanups.push(async () => {
    if (opening) await (await opening.catch(() => undefined))?.close();
  });
  return () => {
    opening ??= openJournal(config.journalUrl, config.home, `${config.namespace}/${config.taskQueue}`);
    return opening;
  };
}
