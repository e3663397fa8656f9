// Which journal a process uses: PostgreSQL when HOOKFLOW_JOURNAL_URL is a postgres:// URL (shared by
// every serve/start process), else a SQLite file (`sqlite:<path>`, a plain path, or the default
// `.hookflow/intake.db`).
import path from 'node:path';
import type { Journal } from './journal.js';

/**
 * Opens the journal of one deployment. `scope` (`<namespace>/<task queue>`) is recorded in it on
 * first use: runs journaled here start on that task queue, so a process of another deployment must
 * not take them; it is refused with the fix in the message.
 */
export async function openJournal(url: string, home: string, scope: string): Promise<Journal> {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const { PgJournal } = await import('./pg-journal.js');
    return PgJournal.connect(url, {}, scope);
  }
  const { SqliteJournal } = await import('./sqlite-journal.js');
  // `?max_pages=N` caps the file (SQLite's max_page_count): a journal that may not outgrow its disk share.
  const [file = '', query = ''] = url.replace(/^sqlite:(\/\/)?/i, '').split('?');
  const maxPages = Number(new URLSearchParams(query).get('max_pages') ?? NaN);
  return SqliteJournal.open(path.resolve(home, file), { scope, ...(Number.isInteger(maxPages) && maxPages > 0 ? { maxPages } : {}) });
}

/** The URL without its password, for messages and /healthz. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
