/**
 * Recipes: the `recipes` table with its signatures, the artifacts of its frozen file
 * (`recipe_artifacts`) and the systems it matches (`recipe_matches`).
 */
import type { Lifecycle } from '../domain/lifecycle.js';
import { type AuditRow, created } from './audit.js';
import type { Database } from './sqlite.js';

export type Validity = 'PENDING' | 'IN_PROGRESS' | 'VALID' | 'INVALID';

export interface RecipeRow extends AuditRow {
  id: number;
  name: string;
  version: string;
  description: string;
  content: string;
  tags: string;
  lifecycle: Lifecycle;
  validity: Validity;
  validation_result: string;
  coverage: string | null;
  published: string | null;
  published_by: string | null;
  published_at: number | null;
  approved_by: string | null;
  approved_at: number | null;
  file: Buffer | null;
  file_sha256: string | null;
}

/** Every column but the file bytes: what the match job reads of every recipe. */
export type MatchRecipe = Omit<
  RecipeRow,
  | 'file'
  | 'tags'
  | 'validation_result'
  | 'published'
  | 'published_by'
  | 'approved_by'
  | 'approved_at'
  | 'created_by'
  | 'created_at'
  | 'last_modified_by'
>;

export function findRecipe(db: Database, id: number): RecipeRow | undefined {
  return db.prepare('SELECT * FROM recipes WHERE id = ?').get(id) as RecipeRow | undefined;
}

export function listRecipes(db: Database): RecipeRow[] {
  return db.prepare('SELECT * FROM recipes ORDER BY id').all() as RecipeRow[];
}

export function matchRecipes(db: Database): MatchRecipe[] {
  return db
    .prepare(
      `SELECT id, name, version, description, content, lifecycle, validity, coverage, published_at, file_sha256,
       last_modified_at FROM recipes`,
    )
    .all() as MatchRecipe[];
}

export function recipeFileBytes(db: Database, id: number): Buffer | null {
  return (
    (db.prepare('SELECT file FROM recipes WHERE id = ?').get(id) as { file: Buffer | null } | undefined)
      ?.file ?? null
  );
}

/** The content JSON of every recipe whose lifecycle is not one of `except`. */
export function contentsExcept(db: Database, except: readonly Lifecycle[]): string[] {
  const all = db.prepare('SELECT lifecycle, content FROM recipes').all() as {
    lifecycle: Lifecycle;
    content: string;
  }[];
  return all.filter((r) => !except.includes(r.lifecycle)).map((r) => r.content);
}

export interface NewRecipe {
  name: string;
  version: string;
  description: string;
  content: string;
  tags: string;
  validity: Validity;
  validationResult: string;
}

export function insertRecipe(db: Database, r: NewRecipe, who: string, now: number): number {
  const res = db
    .prepare(
      `INSERT INTO recipes (name, version, description, content, tags, lifecycle, validity, validation_result,
       created_by, created_at, last_modified_by, last_modified_at) VALUES (?, ?, ?, ?, ?, 'DRAFT', ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      r.name,
      r.version,
      r.description,
      r.content,
      r.tags,
      r.validity,
      r.validationResult,
      ...created(who, now),
    );
  return Number(res.lastInsertRowid);
}

export function updateRecipe(
  db: Database,
  id: number,
  r: Pick<NewRecipe, 'name' | 'version' | 'description' | 'content' | 'tags'>,
  who: string,
  now: number,
): void {
  db.prepare(
    `UPDATE recipes SET name = ?, version = ?, description = ?, content = ?, tags = ?, last_modified_by = ?,
     last_modified_at = ? WHERE id = ?`,
  ).run(r.name, r.version, r.description, r.content, r.tags, who, now, id);
}

export function setValidation(db: Database, id: number, validity: Validity, result: string): void {
  db.prepare('UPDATE recipes SET validity = ?, validation_result = ? WHERE id = ?').run(validity, result, id);
}

export function setCoverage(db: Database, id: number, coverage: string): void {
  db.prepare('UPDATE recipes SET coverage = ? WHERE id = ?').run(coverage, id);
}

export function setLifecycle(db: Database, id: number, lifecycle: Lifecycle, who: string, now: number): void {
  db.prepare('UPDATE recipes SET lifecycle = ?, last_modified_by = ?, last_modified_at = ? WHERE id = ?').run(
    lifecycle,
    who,
    now,
    id,
  );
}

/** Stores the frozen file and `published`, and links the artifacts it names. */
export function storeFrozenFile(
  db: Database,
  id: number,
  f: { bytes: Buffer; sha256: string; published: string; artifactIds: number[] },
  who: string,
  now: number,
): void {
  db.prepare(
    'UPDATE recipes SET file = ?, file_sha256 = ?, published = ?, published_by = ?, published_at = ? WHERE id = ?',
  ).run(f.bytes, f.sha256, f.published, who, now, id);
  const link = db.prepare('INSERT OR IGNORE INTO recipe_artifacts (recipe_id, artifact_id) VALUES (?, ?)');
  for (const a of f.artifactIds) link.run(id, a);
}

/** Demote: file, `published`, signatures and artifact links go. */
export function discardFile(db: Database, id: number): void {
  db.prepare(
    'UPDATE recipes SET file = NULL, file_sha256 = NULL, published = NULL, published_by = NULL, published_at = NULL WHERE id = ?',
  ).run(id);
  db.prepare('DELETE FROM signatures WHERE recipe_id = ?').run(id);
  db.prepare('DELETE FROM recipe_artifacts WHERE recipe_id = ?').run(id);
}

export function setApproved(db: Database, id: number, who: string, now: number): void {
  db.prepare('UPDATE recipes SET approved_by = ?, approved_at = ? WHERE id = ?').run(who, now, id);
}

export function deleteRecipe(db: Database, id: number): void {
  db.prepare('DELETE FROM recipes WHERE id = ?').run(id);
}

export interface SignatureRow {
  id: number;
  format: string;
  value: string;
}

export function signaturesOf(db: Database, recipeId: number): SignatureRow[] {
  return db
    .prepare('SELECT id, format, value FROM signatures WHERE recipe_id = ? ORDER BY id')
    .all(recipeId) as SignatureRow[];
}

export function insertSignature(
  db: Database,
  recipeId: number,
  s: Omit<SignatureRow, 'id'>,
  who: string,
  now: number,
): number {
  const res = db
    .prepare(
      'INSERT INTO signatures (recipe_id, format, value, created_by, created_at) VALUES (?, ?, ?, ?, ?)',
    )
    .run(recipeId, s.format, s.value, who, now);
  return Number(res.lastInsertRowid);
}

/** The lifecycles of the recipes whose frozen file names the artifact. */
export function lifecyclesNaming(db: Database, artifactId: number): Lifecycle[] {
  return (
    db
      .prepare(
        'SELECT r.lifecycle FROM recipe_artifacts ra JOIN recipes r ON r.id = ra.recipe_id WHERE ra.artifact_id = ?',
      )
      .all(artifactId) as { lifecycle: Lifecycle }[]
  ).map((r) => r.lifecycle);
}

export function artifactInAnyFile(db: Database, artifactId: number): boolean {
  return (
    db.prepare('SELECT 1 FROM recipe_artifacts WHERE artifact_id = ? LIMIT 1').get(artifactId) !== undefined
  );
}

/** Does a recipe in one of `lifecycles` name an artifact of the module in its file? */
export function moduleInFileOf(db: Database, moduleId: number, lifecycles: readonly Lifecycle[]): boolean {
  const rows = db
    .prepare(
      `SELECT DISTINCT r.lifecycle FROM recipe_artifacts ra JOIN recipes r ON r.id = ra.recipe_id
       JOIN artifacts x ON x.id = ra.artifact_id WHERE x.module_id = ?`,
    )
    .all(moduleId) as { lifecycle: Lifecycle }[];
  return rows.some((r) => lifecycles.includes(r.lifecycle));
}

/** Forgets the matches of every system (`targetId` null) or of one. */
export function clearMatches(db: Database, targetId: number | null): void {
  if (targetId === null) db.prepare('DELETE FROM recipe_matches').run();
  else db.prepare('DELETE FROM recipe_matches WHERE target_id = ?').run(targetId);
}

export function insertMatch(db: Database, recipeId: number, targetId: number): void {
  db.prepare('INSERT INTO recipe_matches (recipe_id, target_id) VALUES (?, ?)').run(recipeId, targetId);
}

/** Matched systems per recipe. */
export function matchCounts(db: Database): Map<number, number> {
  const rows = db.prepare('SELECT recipe_id, COUNT(*) AS n FROM recipe_matches GROUP BY recipe_id').all() as {
    recipe_id: number;
    n: number;
  }[];
  return new Map(rows.map((c) => [c.recipe_id, c.n]));
}

export function matchedControllerIds(db: Database, recipeId: number): string[] {
  return (
    db
      .prepare(
        `SELECT t.controller_id FROM recipe_matches m JOIN targets t ON t.id = m.target_id WHERE m.recipe_id = ?
         ORDER BY t.controller_id`,
      )
      .all(recipeId) as { controller_id: string }[]
  ).map((r) => r.controller_id);
}
