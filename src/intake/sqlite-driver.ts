// One synchronous SQLite API over two engines: Node's built-in `node:sqlite` where it is available
// unflagged (Node ≥ 22.13, 24 LTS), else `better-sqlite3` (Node 20, which has no node:sqlite). Both
// are the same SQLite C library with the same prepare/run/get/all shape; this file only smooths the
// differences (BLOBs come back as Uint8Array from node:sqlite, Buffer from better-sqlite3).
import { createRequire } from 'node:module';

export type SqlValue = null | number | bigint | string | Uint8Array;
export type Row = Record<string, SqlValue>;

export interface Statement {
  run(...params: SqlValue[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: SqlValue[]): Row | undefined;
  all(...params: SqlValue[]): Row[];
}

export interface SqliteDb {
  readonly engine: 'node:sqlite' | 'better-sqlite3';
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}

/** A database class of either engine: same constructor, same three methods. */
type SqliteCtor = new (
  file: string,
  opts?: { timeout?: number },
) => {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
};

interface NodeSqliteModule {
  DatabaseSync: SqliteCtor;
}

const require = createRequire(import.meta.url);

function nodeSqlite(): NodeSqliteModule | undefined {
  // getBuiltinModule (Node ≥ 20.16) answers without throwing or printing anything when the
  // module is missing or still behind --experimental-sqlite.
  const get = (process as unknown as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  try {
    const mod = get ? (get('node:sqlite') as NodeSqliteModule | undefined) : undefined;
    return mod?.DatabaseSync ? mod : undefined;
  } catch {
    return undefined;
  }
}

/** Opens (creating if needed) a database file; `busyTimeoutMs` is how long a writer waits for another process's lock. */
export function openSqlite(file: string, busyTimeoutMs = 5_000, prefer?: SqliteDb['engine']): SqliteDb {
  const builtin = prefer === 'better-sqlite3' ? undefined : nodeSqlite();
  if (builtin) {
    const db = new builtin.DatabaseSync(file, { timeout: busyTimeoutMs });
    return { engine: 'node:sqlite', exec: (s) => db.exec(s), prepare: (s) => db.prepare(s), close: () => db.close() };
  }
  let Better: SqliteCtor;
  try {
    Better = require('better-sqlite3') as SqliteCtor;
  } catch (err) {
    throw new Error(
      `the intake journal needs SQLite: this Node (${process.version}) has no node:sqlite (Node ≥ 22.13 has it) and the optional package better-sqlite3 is not installed or did not build (${err instanceof Error ? err.message.split('\n')[0] : String(err)}). Use Node 24, or run "npm install better-sqlite3@12", or set HOOKFLOW_JOURNAL_URL=postgres://…`,
      { cause: err },
    );
  }
  let db: InstanceType<SqliteCtor>;
  try {
    db = new Better(file, { timeout: busyTimeoutMs });
  } catch (err) {
    // better-sqlite3 loads its native addon on first use: one built for another Node fails here.
    if ((err as NodeJS.ErrnoException).code === 'ERR_DLOPEN_FAILED' || /NODE_MODULE_VERSION/.test(String(err))) {
      throw new Error(
        `the intake journal's SQLite (better-sqlite3) was built for another Node than this one (${process.version}): run "npm rebuild better-sqlite3", or use Node ≥ 22.13, which has node:sqlite built in, or set HOOKFLOW_JOURNAL_URL=postgres://…`,
        { cause: err },
      );
    }
    throw err;
  }
  return { engine: 'better-sqlite3', exec: (s) => db.exec(s), prepare: (s) => db.prepare(s), close: () => db.close() };
}

/** A BLOB as a Buffer, whichever engine read it. */
export function asBuffer(v: SqlValue | undefined): Buffer {
  if (v === null || v === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return Buffer.from(String(v));
}
