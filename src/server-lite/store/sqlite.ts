/**
 * Opening server-lite's database: better-sqlite3 (typed by `@types/better-sqlite3`) in WAL mode, with
 * foreign keys on and a statement cache, so a repository can call `prepare` per call.
 */
import BetterSqlite from 'better-sqlite3';

export type Database = BetterSqlite.Database;

/** Opens the database in WAL mode; `prepare` caches statements by their SQL (they are reusable). */
export function openSqlite(file: string): Database {
  const db = new BetterSqlite(file);
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, ReturnType<typeof prepare>>();
  const cached = (sql: string) => {
    let st = cache.get(sql);
    if (!st) {
      st = prepare(sql);
      cache.set(sql, st);
    }
    return st;
  };
  db.prepare = cached as Database['prepare'];
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}
