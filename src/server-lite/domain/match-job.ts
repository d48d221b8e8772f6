/**
 * The match job (`management-api.md`, "Recipes"; 002 "Recipe match algorithm"): for every known system
 * (one that sent a system report) and every recipe with a file (plus valid drafts, for coverage), run the
 * shared match algorithm; per system keep the newest matching candidate of its scope (`matchedRecipe`)
 * and the newest matching RC/WFA (`matchedReleaseCandidateRecipe`); per recipe the coverage. Then the
 * action rules run for each system. Runs on every lifecycle change (all systems) and on every system
 * report (that system). Synchronous, inside the caller's transaction: IN_PROGRESS is never observable.
 */

import { isSoupError } from '../../lib/errors.js';
import { type CompiledRecipe, compileRecipe, definitionsOf, matchSystem } from '../../recipe/match.js';
import type { RecipeFile, ReportedModule, SystemReport } from '../../recipe/types.js';
import type { App } from '../app.js';
import { evaluateActions } from './actions.js';
import { isCandidate, isReleaseCandidate, type Scope } from './lifecycle.js';
import { buildRecipeFile } from './recipe-file.js';
import { contentOf, coverageOf, type RecipeRow } from './recipe-store.js';

const compiledCache = new WeakMap<App, Map<string, CompiledRecipe | null>>();

/** The compiled definitions of a recipe: from its frozen file, or (DRAFT, VALID) from a preview. */
function compiledOf(app: App, r: RecipeRow): CompiledRecipe | null {
  let cache = compiledCache.get(app);
  if (!cache) {
    cache = new Map();
    compiledCache.set(app, cache);
  }
  const key = `${r.id}:${r.file_sha256 ?? `draft-${r.last_modified_at}-${r.validity}`}`;
  if (cache.has(key)) return cache.get(key) ?? null;
  let compiled: CompiledRecipe | null = null;
  try {
    const bytes = r.file_sha256
      ? (app.db.prepare('SELECT file FROM recipes WHERE id = ?').get(r.id) as { file: Buffer | null }).file
      : null;
    const file: RecipeFile | null = bytes
      ? (JSON.parse(bytes.toString('utf8')) as RecipeFile)
      : r.validity === 'VALID'
        ? buildRecipeFile(app, r, contentOf(r), new Date(0).toISOString())
        : null;
    if (file) compiled = compileRecipe(definitionsOf(file), file._recipe.versionProperties);
  } catch (err) {
    if (isSoupError(err, 'SOUP_E_NOT_BUILT')) throw err;
    app.log.warn({ err, recipeId: r.id }, 'recipe cannot be compiled for matching');
  }
  if (cache.size > 1000) cache.clear();
  cache.set(key, compiled);
  return compiled;
}

interface TargetRow {
  id: number;
  controller_id: string;
  scope: Scope;
  last_report: string | null;
}

/** Newest published first; ties: higher id. */
function newestFirst(a: RecipeRow, b: RecipeRow): number {
  return (b.published_at ?? 0) - (a.published_at ?? 0) || b.id - a.id;
}

/**
 * `targetId` null: every system; else that system only. Coverage of every recipe is recounted either way.
 * Call inside a transaction.
 */
export function runMatchJob(app: App, targetId: number | null, actor: string): void {
  const { db } = app;
  // every column but the file bytes (read only when a recipe is compiled for the first time)
  const recipes = (
    db
      .prepare(
        `SELECT id, name, version, description, content, lifecycle, validity, coverage, published_at, file_sha256,
         last_modified_at FROM recipes`,
      )
      .all() as RecipeRow[]
  ).sort(newestFirst);
  const compiled = new Map<number, CompiledRecipe>();
  for (const r of recipes) {
    const c = compiledOf(app, r);
    if (c) compiled.set(r.id, c);
  }
  const targets = (
    targetId === null
      ? db.prepare('SELECT id, controller_id, scope, last_report FROM targets').all()
      : db.prepare('SELECT id, controller_id, scope, last_report FROM targets WHERE id = ?').all(targetId)
  ) as TargetRow[];
  if (targetId === null) db.prepare('DELETE FROM recipe_matches').run();
  else db.prepare('DELETE FROM recipe_matches WHERE target_id = ?').run(targetId);
  const insertMatch = db.prepare('INSERT INTO recipe_matches (recipe_id, target_id) VALUES (?, ?)');
  const setMatched = db.prepare(
    'UPDATE targets SET matched_recipe_id = ?, matched_rc_recipe_id = ? WHERE id = ?',
  );
  for (const t of targets) {
    if (t.last_report === null) {
      setMatched.run(null, null, t.id);
      continue;
    }
    const modules: ReportedModule[] = (JSON.parse(t.last_report) as SystemReport).modules;
    let matched: RecipeRow | undefined;
    let matchedRc: RecipeRow | undefined;
    for (const r of recipes) {
      const c = compiled.get(r.id);
      if (!c) continue;
      if (!matchSystem(c, modules).matched) continue;
      insertMatch.run(r.id, t.id);
      if (!matched && r.file_sha256 && isCandidate(r.lifecycle, t.scope)) matched = r;
      if (!matchedRc && r.file_sha256 && isReleaseCandidate(r.lifecycle)) matchedRc = r;
    }
    setMatched.run(matched?.id ?? null, matchedRc?.id ?? null, t.id);
  }
  const total = (
    db.prepare('SELECT COUNT(*) AS n FROM targets WHERE last_report IS NOT NULL').get() as { n: number }
  ).n;
  const counts = new Map(
    (
      db.prepare('SELECT recipe_id, COUNT(*) AS n FROM recipe_matches GROUP BY recipe_id').all() as {
        recipe_id: number;
        n: number;
      }[]
    ).map((c) => [c.recipe_id, c.n]),
  );
  const setCoverage = db.prepare('UPDATE recipes SET coverage = ? WHERE id = ?');
  for (const r of recipes) {
    const coverage = JSON.stringify(coverageOf(counts.get(r.id) ?? 0, total));
    if (coverage !== r.coverage) setCoverage.run(coverage, r.id);
  }
  for (const t of targets) evaluateActions(app, t.id, actor);
}
