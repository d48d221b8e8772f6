/**
 * Software module types (`sm_types`) and distribution set types (`ds_types`, with the module types each
 * allows in `ds_type_modules`). Both share one shape, so one set of functions serves both tables.
 */
import { type AuditRow, created } from './audit.js';
import type { Database } from './sqlite.js';

export type TypeTableName = 'sm_types' | 'ds_types';

export interface TypeRowBase extends AuditRow {
  id: number;
  key: string;
  name: string;
  description: string | null;
  colour: string | null;
  deleted: number;
}

export interface SmTypeRow extends TypeRowBase {
  max_assignments: number;
}

export type DsTypeRow = TypeRowBase;

/** A module type a distribution set type allows. */
export interface TypeLink {
  id: number;
  key: string;
  name: string;
  mandatory: number;
}

export function findType<Row extends TypeRowBase>(
  db: Database,
  table: TypeTableName,
  idOrKey: number | string,
): Row | undefined {
  const col = typeof idOrKey === 'number' ? 'id' : 'key';
  return db.prepare(`SELECT * FROM ${table} WHERE ${col} = ?`).get(idOrKey) as Row | undefined;
}

export function listTypes<Row extends TypeRowBase>(db: Database, table: TypeTableName): Row[] {
  return db.prepare(`SELECT * FROM ${table} WHERE deleted = 0 ORDER BY id`).all() as Row[];
}

export function updateType(
  db: Database,
  table: TypeTableName,
  id: number,
  t: { name: string; description: string | null; colour: string | null },
  who: string,
  now: number,
): void {
  db.prepare(
    `UPDATE ${table} SET name = ?, description = ?, colour = ?, last_modified_by = ?, last_modified_at = ? WHERE id = ?`,
  ).run(t.name, t.description, t.colour, who, now, id);
}

export function softDeleteType(
  db: Database,
  table: TypeTableName,
  id: number,
  who: string,
  now: number,
): void {
  db.prepare(`UPDATE ${table} SET deleted = 1, last_modified_by = ?, last_modified_at = ? WHERE id = ?`).run(
    who,
    now,
    id,
  );
}

export function deleteType(db: Database, table: TypeTableName, id: number): void {
  db.prepare(`DELETE FROM ${table} WHERE id = ?`).run(id);
}

/** Modules of the type plus distribution set types allowing it. */
export function smTypeUses(db: Database, id: number): number {
  const modules = db.prepare('SELECT COUNT(*) AS n FROM software_modules WHERE type_id = ?').get(id) as {
    n: number;
  };
  const links = db.prepare('SELECT COUNT(*) AS n FROM ds_type_modules WHERE sm_type_id = ?').get(id) as {
    n: number;
  };
  return modules.n + links.n;
}

/** Distribution sets of the type. */
export function dsTypeUses(db: Database, id: number): number {
  return (
    db.prepare('SELECT COUNT(*) AS n FROM distribution_sets WHERE type_id = ?').get(id) as { n: number }
  ).n;
}

export interface NewType {
  key: string;
  name: string;
  description: string | null;
  colour: string | null;
}

export function insertSmType(
  db: Database,
  t: NewType & { maxAssignments: number },
  who: string,
  now: number,
): number {
  const r = db
    .prepare(
      `INSERT INTO sm_types (key, name, description, colour, max_assignments, created_by, created_at, last_modified_by, last_modified_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(t.key, t.name, t.description, t.colour, t.maxAssignments, ...created(who, now));
  return Number(r.lastInsertRowid);
}

/** A distribution set type with its optional and mandatory module types. */
export function insertDsType(
  db: Database,
  t: NewType & { optional: number[]; mandatory: number[] },
  who: string,
  now: number,
): number {
  const r = db
    .prepare(
      `INSERT INTO ds_types (key, name, description, colour, created_by, created_at, last_modified_by, last_modified_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(t.key, t.name, t.description, t.colour, ...created(who, now));
  const id = Number(r.lastInsertRowid);
  const link = db.prepare(
    'INSERT OR REPLACE INTO ds_type_modules (ds_type_id, sm_type_id, mandatory) VALUES (?, ?, ?)',
  );
  for (const sm of t.optional) link.run(id, sm, 0);
  for (const sm of t.mandatory) link.run(id, sm, 1);
  return id;
}

export function dsTypeModules(db: Database, dsTypeId: number): TypeLink[] {
  return db
    .prepare(
      `SELECT t.id, t.key, t.name, l.mandatory FROM ds_type_modules l JOIN sm_types t ON t.id = l.sm_type_id
       WHERE l.ds_type_id = ? ORDER BY t.id`,
    )
    .all(dsTypeId) as TypeLink[];
}

/** The mandatory module type ids of a distribution set type. */
export function mandatoryTypeIds(db: Database, dsTypeId: number): number[] {
  return (
    db
      .prepare('SELECT sm_type_id FROM ds_type_modules WHERE ds_type_id = ? AND mandatory = 1')
      .all(dsTypeId) as {
      sm_type_id: number;
    }[]
  ).map((m) => m.sm_type_id);
}
