/** Stored tenant configuration values (JSON text per key); a key without a row has its default. */
import { created } from './audit.js';
import type { Database } from './sqlite.js';

export function readTenantValue(db: Database, key: string): string | undefined {
  return (
    db.prepare('SELECT value FROM tenant_config WHERE key = ?').get(key) as { value: string } | undefined
  )?.value;
}

export function writeTenantValue(db: Database, key: string, json: string, who: string, now: number): void {
  db.prepare(
    `INSERT INTO tenant_config (key, value, created_by, created_at, last_modified_by, last_modified_at)
     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value,
     last_modified_by = excluded.last_modified_by, last_modified_at = excluded.last_modified_at`,
  ).run(key, json, ...created(who, now));
}

export function deleteTenantValue(db: Database, key: string): void {
  db.prepare('DELETE FROM tenant_config WHERE key = ?').run(key);
}
