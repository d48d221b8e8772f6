/** Artifact rows (`artifacts`); the bytes live in `<dataDir>/artifacts/<id>`. */
import { type AuditRow, created } from './audit.js';
import type { Database } from './sqlite.js';

export interface ArtifactRow extends AuditRow {
  id: number;
  module_id: number;
  filename: string;
  md5: string;
  sha1: string;
  sha256: string;
  size: number;
  stored: number;
}

export function findArtifact(db: Database, id: number): ArtifactRow | undefined {
  return db.prepare('SELECT * FROM artifacts WHERE id = ?').get(id) as ArtifactRow | undefined;
}

export function findModuleArtifact(db: Database, id: number, moduleId: number): ArtifactRow | undefined {
  return db.prepare('SELECT * FROM artifacts WHERE id = ? AND module_id = ?').get(id, moduleId) as
    | ArtifactRow
    | undefined;
}

/** A stored artifact of the module by file name. */
export function storedArtifactNamed(
  db: Database,
  moduleId: number,
  filename: string,
): ArtifactRow | undefined {
  return db
    .prepare('SELECT * FROM artifacts WHERE module_id = ? AND filename = ? AND stored = 1')
    .get(moduleId, filename) as ArtifactRow | undefined;
}

export function artifactNameTaken(db: Database, moduleId: number, filename: string): boolean {
  return (
    db.prepare('SELECT 1 FROM artifacts WHERE module_id = ? AND filename = ?').get(moduleId, filename) !==
    undefined
  );
}

/** The module's artifacts by id (`storedOnly`: those whose bytes are kept). */
export function moduleArtifacts(db: Database, moduleId: number, storedOnly = false): ArtifactRow[] {
  return db
    .prepare(`SELECT * FROM artifacts WHERE module_id = ?${storedOnly ? ' AND stored = 1' : ''} ORDER BY id`)
    .all(moduleId) as ArtifactRow[];
}

export interface NewArtifact {
  moduleId: number;
  filename: string;
  md5: string;
  sha1: string;
  sha256: string;
  size: number;
}

export function insertArtifact(db: Database, a: NewArtifact, who: string, now: number): number {
  const r = db
    .prepare(
      `INSERT INTO artifacts (module_id, filename, md5, sha1, sha256, size, created_by, created_at, last_modified_by, last_modified_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(a.moduleId, a.filename, a.md5, a.sha1, a.sha256, a.size, ...created(who, now));
  return Number(r.lastInsertRowid);
}

export function deleteArtifact(db: Database, id: number): void {
  db.prepare('DELETE FROM artifacts WHERE id = ?').run(id);
}
