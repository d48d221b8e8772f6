/**
 * better-sqlite3, typed by the few calls server-lite makes (the package ships no type declarations).
 * Loaded through createRequire so no ambient module declaration is needed.
 */
import { createRequire } from 'node:module';

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface Statement {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface Database {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): void;
  readonly open: boolean;
}

type DatabaseConstructor = new (file: string, options?: { fileMustExist?: boolean }) => Database;

const require = createRequire(import.meta.url);
const BetterSqlite = require('better-sqlite3') as DatabaseConstructor;

/** Opens the database in WAL mode; `prepare` caches statements by their SQL (they are reusable). */
export function openSqlite(file: string): Database {
  const db = new BetterSqlite(file);
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Statement>();
  db.prepare = (sql: string) => {
    let st = cache.get(sql);
    if (!st) {
      st = prepare(sql);
      cache.set(sql, st);
    }
    return st;
  };
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}
