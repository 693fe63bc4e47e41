// The meta table: the store's own key-value facts (the scanner's cursor).
import type { Db, Row } from "./db.js";

export function readMeta(db: Db, key: string): string | null {
  const row = db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as Row | undefined;
  return row ? (row.value as string) : null;
}

export function writeMeta(db: Db, key: string, value: string): void {
  db.prepare(
    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  ).run(key, value);
}
