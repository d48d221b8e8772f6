/**
 * better-sqlite3, typed for what the agent uses (the package ships no type declarations), opened the
 * way every agent database is: WAL journal, synchronous FULL, so a committed transaction survives a
 * power cut.
 */
import { createRequire } from 'node:module';
import { SoupError } from '../lib/errors.js';

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface Statement<P extends unknown[] = unknown[]> {
  run(...params: P): RunResult;
  get(...params: P): unknown;
  all(...params: P): unknown[];
}

export interface Database {
  prepare<P extends unknown[] = unknown[]>(sql: string): Statement<P>;
  exec(sql: string): void;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): void;
  readonly open: boolean;
}

type DatabaseConstructor = new (
  path: string,
  options?: { readonly?: boolean; fileMustExist?: boolean; timeout?: number },
) => Database;

const require = createRequire(import.meta.url);

export function openDatabase(path: string, options: { readonly?: boolean } = {}): Database {
  const Ctor = require('better-sqlite3') as DatabaseConstructor;
  let db: Database;
  try {
    db = new Ctor(path, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
      timeout: 5000,
    });
  } catch (err) {
    throw new SoupError('SOUP_E_STATE', `state: cannot open ${path} (${(err as Error).message})`, {
      cause: err,
    });
  }
  if (!options.readonly) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  return db;
}
