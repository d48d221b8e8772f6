/**
 * better-sqlite3 (typed by @types/better-sqlite3), opened the way every agent database is: WAL journal,
 * synchronous FULL, so a committed transaction survives a power cut.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { SoupError } from '../lib/errors.js';

export type Database = BetterSqlite3.Database;

const require = createRequire(import.meta.url);

export function openDatabase(path: string, options: { readonly?: boolean } = {}): Database {
  const Ctor = require('better-sqlite3') as typeof BetterSqlite3;
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
