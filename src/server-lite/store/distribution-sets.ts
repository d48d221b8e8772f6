/** Distribution sets, their modules and metadata: `distribution_sets`, `ds_modules`, `ds_metadata`. */
import { type AuditRow, created } from './audit.js';
import type { SmRow } from './software-modules.js';
import type { Database } from './sqlite.js';

export interface DsRow extends AuditRow {
  id: number;
  name: string;
  version: string;
  description: string | null;
  type_id: number;
  required_migration_step: number;
  deleted: number;
}

export interface DsMetaRow {
  key: string;
  value: string;
}

/** An artifact of a set with its module's type key. */
export interface SetArtifactRow {
  id: number;
  module_id: number;
  filename: string;
  size: number;
  sha256: string;
  sha1: string;
  md5: string;
  stored: number;
  type_key: string;
}

export function findSet(db: Database, id: number, withDeleted = false): DsRow | undefined {
  return db
    .prepare(`SELECT * FROM distribution_sets WHERE id = ?${withDeleted ? '' : ' AND deleted = 0'}`)
    .get(id) as DsRow | undefined;
}

export function listSets(db: Database): DsRow[] {
  return db.prepare('SELECT * FROM distribution_sets WHERE deleted = 0 ORDER BY id').all() as DsRow[];
}

/** A set of that name and version that is not deleted. */
export function setExists(db: Database, name: string, version: string): boolean {
  return (
    db
      .prepare('SELECT 1 FROM distribution_sets WHERE name = ? AND version = ? AND deleted = 0')
      .get(name, version) !== undefined
  );
}

export interface SetFields {
  name: string;
  version: string;
  description: string | null;
  requiredMigrationStep: boolean;
}

export function insertSet(db: Database, d: SetFields & { typeId: number }, who: string, now: number): number {
  const r = db
    .prepare(
      `INSERT INTO distribution_sets (name, version, description, type_id, required_migration_step, created_by, created_at,
       last_modified_by, last_modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(d.name, d.version, d.description, d.typeId, d.requiredMigrationStep ? 1 : 0, ...created(who, now));
  return Number(r.lastInsertRowid);
}

export function updateSet(db: Database, id: number, d: SetFields, who: string, now: number): void {
  db.prepare(
    `UPDATE distribution_sets SET name = ?, version = ?, description = ?, required_migration_step = ?,
     last_modified_by = ?, last_modified_at = ? WHERE id = ?`,
  ).run(d.name, d.version, d.description, d.requiredMigrationStep ? 1 : 0, who, now, id);
}

export function touchSet(db: Database, id: number, who: string, now: number): void {
  db.prepare('UPDATE distribution_sets SET last_modified_by = ?, last_modified_at = ? WHERE id = ?').run(
    who,
    now,
    id,
  );
}

export function softDeleteSet(db: Database, id: number, who: string, now: number): void {
  db.prepare(
    'UPDATE distribution_sets SET deleted = 1, last_modified_by = ?, last_modified_at = ? WHERE id = ?',
  ).run(who, now, id);
}

export function deleteSet(db: Database, id: number): void {
  db.prepare('DELETE FROM distribution_sets WHERE id = ?').run(id);
}

/** The set's modules (deleted ones included), by id. */
export function setModules(db: Database, dsId: number): SmRow[] {
  return db
    .prepare(
      'SELECT m.* FROM ds_modules d JOIN software_modules m ON m.id = d.module_id WHERE d.ds_id = ? ORDER BY m.id',
    )
    .all(dsId) as SmRow[];
}

/** The set's modules with their type keys (the DDI chunks). */
export function setModuleParts(
  db: Database,
  dsId: number,
): { id: number; name: string; version: string; key: string }[] {
  return db
    .prepare(
      `SELECT m.id, m.name, m.version, t.key FROM ds_modules d JOIN software_modules m ON m.id = d.module_id
       JOIN sm_types t ON t.id = m.type_id WHERE d.ds_id = ? ORDER BY m.id`,
    )
    .all(dsId) as { id: number; name: string; version: string; key: string }[];
}

export function setHeader(
  db: Database,
  dsId: number,
):
  | { id: number; name: string; version: string; deleted: number; type_id: number; type_key: string }
  | undefined {
  return db
    .prepare(
      `SELECT d.id, d.name, d.version, d.deleted, d.type_id, t.key AS type_key FROM distribution_sets d
       JOIN ds_types t ON t.id = d.type_id WHERE d.id = ?`,
    )
    .get(dsId) as
    | { id: number; name: string; version: string; deleted: number; type_id: number; type_key: string }
    | undefined;
}

/** Every artifact of every module of the set, with the module's type key, by module then artifact id. */
export function setArtifactRows(db: Database, dsId: number): SetArtifactRow[] {
  return db
    .prepare(
      `SELECT a.id, a.module_id, a.filename, a.size, a.sha256, a.sha1, a.md5, a.stored, t.key AS type_key
       FROM ds_modules d JOIN software_modules m ON m.id = d.module_id JOIN sm_types t ON t.id = m.type_id
       JOIN artifacts a ON a.module_id = m.id WHERE d.ds_id = ? ORDER BY m.id, a.id`,
    )
    .all(dsId) as SetArtifactRow[];
}

export function assignModule(db: Database, dsId: number, moduleId: number): void {
  db.prepare('INSERT OR IGNORE INTO ds_modules (ds_id, module_id) VALUES (?, ?)').run(dsId, moduleId);
}

/** False when the module was not in the set. */
export function unassignModule(db: Database, dsId: number, moduleId: number): boolean {
  return (
    db.prepare('DELETE FROM ds_modules WHERE ds_id = ? AND module_id = ?').run(dsId, moduleId).changes > 0
  );
}

export function countModulesOfType(db: Database, dsId: number, smTypeId: number): number {
  return (
    db
      .prepare(
        'SELECT COUNT(*) AS n FROM ds_modules d JOIN software_modules s ON s.id = d.module_id WHERE d.ds_id = ? AND s.type_id = ?',
      )
      .get(dsId, smTypeId) as { n: number }
  ).n;
}

export function moduleInAnySet(db: Database, moduleId: number): boolean {
  return db.prepare('SELECT 1 FROM ds_modules WHERE module_id = ? LIMIT 1').get(moduleId) !== undefined;
}

export function setMetadata(db: Database, dsId: number): DsMetaRow[] {
  return db
    .prepare('SELECT key, value FROM ds_metadata WHERE ds_id = ? ORDER BY key')
    .all(dsId) as DsMetaRow[];
}

export function setMetaExists(db: Database, dsId: number, key: string): boolean {
  return db.prepare('SELECT 1 FROM ds_metadata WHERE ds_id = ? AND key = ?').get(dsId, key) !== undefined;
}

export function insertSetMeta(db: Database, dsId: number, m: DsMetaRow): void {
  db.prepare('INSERT INTO ds_metadata (ds_id, key, value) VALUES (?, ?, ?)').run(dsId, m.key, m.value);
}

/** False when there was no such key. */
export function updateSetMeta(db: Database, dsId: number, m: DsMetaRow): boolean {
  return (
    db.prepare('UPDATE ds_metadata SET value = ? WHERE ds_id = ? AND key = ?').run(m.value, dsId, m.key)
      .changes > 0
  );
}

/** False when there was no such key. */
export function deleteSetMeta(db: Database, dsId: number, key: string): boolean {
  return db.prepare('DELETE FROM ds_metadata WHERE ds_id = ? AND key = ?').run(dsId, key).changes > 0;
}
