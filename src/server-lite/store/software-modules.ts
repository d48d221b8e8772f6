/** Software modules and their metadata: `software_modules`, `sm_metadata`. */
import { type AuditRow, created } from './audit.js';
import type { Database } from './sqlite.js';

export interface SmRow extends AuditRow {
  id: number;
  name: string;
  version: string;
  description: string | null;
  vendor: string | null;
  type_id: number;
  deleted: number;
}

export interface SmMetaRow {
  key: string;
  value: string;
  target_visible: number;
}

export function findModule(db: Database, id: number, withDeleted = false): SmRow | undefined {
  return db
    .prepare(`SELECT * FROM software_modules WHERE id = ?${withDeleted ? '' : ' AND deleted = 0'}`)
    .get(id) as SmRow | undefined;
}

export function listModules(db: Database): SmRow[] {
  return db.prepare('SELECT * FROM software_modules WHERE deleted = 0 ORDER BY id').all() as SmRow[];
}

/** A module of that name, version and type that is not deleted. */
export function moduleExists(db: Database, name: string, version: string, typeId: number): boolean {
  return (
    db
      .prepare(
        'SELECT id FROM software_modules WHERE name = ? AND version = ? AND type_id = ? AND deleted = 0',
      )
      .get(name, version, typeId) !== undefined
  );
}

export interface ModuleFields {
  name: string;
  version: string;
  description: string | null;
  vendor: string | null;
}

export function insertModule(
  db: Database,
  m: ModuleFields & { typeId: number },
  who: string,
  now: number,
): number {
  const r = db
    .prepare(
      `INSERT INTO software_modules (name, version, description, vendor, type_id, created_by, created_at, last_modified_by, last_modified_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(m.name, m.version, m.description, m.vendor, m.typeId, ...created(who, now));
  return Number(r.lastInsertRowid);
}

export function updateModule(db: Database, id: number, m: ModuleFields, who: string, now: number): void {
  db.prepare(
    `UPDATE software_modules SET name = ?, version = ?, description = ?, vendor = ?, last_modified_by = ?,
     last_modified_at = ? WHERE id = ?`,
  ).run(m.name, m.version, m.description, m.vendor, who, now, id);
}

export function touchModule(db: Database, id: number, who: string, now: number): void {
  db.prepare('UPDATE software_modules SET last_modified_by = ?, last_modified_at = ? WHERE id = ?').run(
    who,
    now,
    id,
  );
}

/** Soft delete (003): hidden, its artifacts' bytes marked as not stored, metadata kept. */
export function softDeleteModule(db: Database, id: number, who: string, now: number): void {
  db.prepare('UPDATE artifacts SET stored = 0 WHERE module_id = ?').run(id);
  db.prepare(
    'UPDATE software_modules SET deleted = 1, last_modified_by = ?, last_modified_at = ? WHERE id = ?',
  ).run(who, now, id);
}

export function deleteModule(db: Database, id: number): void {
  db.prepare('DELETE FROM software_modules WHERE id = ?').run(id);
}

/** The distribution sets holding the module. */
export function setsOfModule(db: Database, moduleId: number): number[] {
  return (
    db.prepare('SELECT ds_id FROM ds_modules WHERE module_id = ?').all(moduleId) as { ds_id: number }[]
  ).map((r) => r.ds_id);
}

export function moduleMetadata(db: Database, moduleId: number): SmMetaRow[] {
  return db
    .prepare('SELECT * FROM sm_metadata WHERE module_id = ? ORDER BY key')
    .all(moduleId) as SmMetaRow[];
}

/** The metadata a target may see (`targetVisible`). */
export function visibleMetadata(db: Database, moduleId: number): { key: string; value: string }[] {
  return db
    .prepare('SELECT key, value FROM sm_metadata WHERE module_id = ? AND target_visible = 1 ORDER BY key')
    .all(moduleId) as { key: string; value: string }[];
}

export function moduleMetaExists(db: Database, moduleId: number, key: string): boolean {
  return (
    db.prepare('SELECT 1 FROM sm_metadata WHERE module_id = ? AND key = ?').get(moduleId, key) !== undefined
  );
}

export function insertModuleMeta(db: Database, moduleId: number, m: SmMetaRow): void {
  db.prepare('INSERT INTO sm_metadata (module_id, key, value, target_visible) VALUES (?, ?, ?, ?)').run(
    moduleId,
    m.key,
    m.value,
    m.target_visible,
  );
}

export function updateModuleMeta(db: Database, moduleId: number, m: SmMetaRow): void {
  db.prepare('UPDATE sm_metadata SET value = ?, target_visible = ? WHERE module_id = ? AND key = ?').run(
    m.value,
    m.target_visible,
    moduleId,
    m.key,
  );
}

/** False when there was no such key. */
export function deleteModuleMeta(db: Database, moduleId: number, key: string): boolean {
  return db.prepare('DELETE FROM sm_metadata WHERE module_id = ? AND key = ?').run(moduleId, key).changes > 0;
}
