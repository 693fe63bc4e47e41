// The validator's SQLite file: one database, WAL (readers never block the loop's writes, and a
// killed process leaves a consistent file), foreign keys on, migrations versioned in code by
// `PRAGMA user_version` so an older file is brought up to date on open and a newer one is refused.
import Database from "better-sqlite3";
import { MIGRATIONS } from "./migrations.js";

export type Db = Database.Database;

/** A row as better-sqlite3 returns it; each table's module maps its rows to typed records. */
export type Row = Record<string, unknown>;

export class StoreError extends Error {}

/** Opens (creating when absent) and migrates the store at `path` (":memory:" for a throwaway). */
export function openDatabase(path: string): Db {
  let db: Db;
  try {
    db = new Database(path);
  } catch (err) {
    throw new StoreError(`cannot open the store ${path}: ${(err as Error).message}`);
  }
  try {
    db.pragma("journal_mode = WAL");
    // NORMAL in WAL mode: a commit survives a process kill; only a power cut may lose the last ones.
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    migrate(db, path);
  } catch (err) {
    db.close();
    if (err instanceof StoreError) throw err;
    throw new StoreError(`the store ${path} cannot be used: ${(err as Error).message}`);
  }
  return db;
}

function migrate(db: Db, path: string): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > MIGRATIONS.length)
    throw new StoreError(
      `the store ${path} has schema version ${current}, newer than this Cacheon's ${MIGRATIONS.length}: upgrade Cacheon`,
    );
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
