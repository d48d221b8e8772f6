/** Tags of distribution sets and targets (`tags`) and what they are assigned to (`tag_links`). */
import { type AuditRow, created } from './audit.js';
import type { Database } from './sqlite.js';

export type TagKind = 'distributionset' | 'target';

export interface TagRow extends AuditRow {
  id: number;
  kind: string;
  name: string;
  description: string | null;
  colour: string | null;
}

export interface TagFields {
  name: string;
  description: string | null;
  colour: string | null;
}

export function listTags(db: Database, kind: TagKind): TagRow[] {
  return db.prepare('SELECT * FROM tags WHERE kind = ? ORDER BY id').all(kind) as TagRow[];
}

export function findTag(db: Database, kind: TagKind, id: number): TagRow | undefined {
  return db.prepare('SELECT * FROM tags WHERE id = ? AND kind = ?').get(id, kind) as TagRow | undefined;
}

export function tagNameTaken(db: Database, kind: TagKind, name: string): boolean {
  return db.prepare('SELECT 1 FROM tags WHERE kind = ? AND name = ?').get(kind, name) !== undefined;
}

export function insertTag(db: Database, kind: TagKind, t: TagFields, who: string, now: number): number {
  const r = db
    .prepare(
      `INSERT INTO tags (kind, name, description, colour, created_by, created_at, last_modified_by, last_modified_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(kind, t.name, t.description, t.colour, ...created(who, now));
  return Number(r.lastInsertRowid);
}

export function updateTag(db: Database, id: number, t: TagFields, who: string, now: number): void {
  db.prepare(
    'UPDATE tags SET name = ?, description = ?, colour = ?, last_modified_by = ?, last_modified_at = ? WHERE id = ?',
  ).run(t.name, t.description, t.colour, who, now, id);
}

export function deleteTag(db: Database, id: number): void {
  db.prepare('DELETE FROM tags WHERE id = ?').run(id);
}

/** The ids (as stored: text) of what the tag is assigned to. */
export function taggedIds(db: Database, tagId: number): string[] {
  return (
    db.prepare('SELECT entity_id FROM tag_links WHERE tag_id = ? ORDER BY entity_id').all(tagId) as {
      entity_id: string;
    }[]
  ).map((r) => r.entity_id);
}

export function linkTag(db: Database, tagId: number, entityId: string): void {
  db.prepare('INSERT OR IGNORE INTO tag_links (tag_id, entity_id) VALUES (?, ?)').run(tagId, entityId);
}

/** False when the tag was not assigned to it. */
export function unlinkTag(db: Database, tagId: number, entityId: string): boolean {
  return (
    db.prepare('DELETE FROM tag_links WHERE tag_id = ? AND entity_id = ?').run(tagId, entityId).changes > 0
  );
}
