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
import {
  clearMatches,
  insertMatch,
  type MatchRecipe,
  matchCounts,
  matchRecipes,
  recipeFileBytes,
  setCoverage,
} from '../store/recipes.js';
import { countReported, matchTargets, setMatched } from '../store/targets.js';
import { evaluateActions } from './actions.js';
import { isCandidate, isReleaseCandidate } from './lifecycle.js';
import { buildRecipeFile } from './recipe-file.js';
import { contentOf, coverageOf } from './recipe-store.js';

const compiledCache = new WeakMap<App, Map<string, CompiledRecipe | null>>();

/** The compiled definitions of a recipe: from its frozen file, or (DRAFT, VALID) from a preview. */
export function compiledOf(app: App, r: MatchRecipe): CompiledRecipe | null {
  let cache = compiledCache.get(app);
  if (!cache) {
    cache = new Map();
    compiledCache.set(app, cache);
  }
  const key = `${r.id}:${r.file_sha256 ?? `draft-${r.last_modified_at}-${r.validity}`}`;
  if (cache.has(key)) return cache.get(key) ?? null;
  let compiled: CompiledRecipe | null = null;
  try {
    const bytes = r.file_sha256 ? recipeFileBytes(app.db, r.id) : null;
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

/** Newest published first; ties: higher id. */
export function newestFirst(a: MatchRecipe, b: MatchRecipe): number {
  return (b.published_at ?? 0) - (a.published_at ?? 0) || b.id - a.id;
}

/**
 * `targetId` null: every system; else that system only. Coverage of every recipe is recounted either way.
 * Call inside a transaction.
 */
export function runMatchJob(app: App, targetId: number | null, actor: string): void {
  const { db } = app;
  // every column but the file bytes (read only when a recipe is compiled for the first time)
  const recipes = matchRecipes(db).sort(newestFirst);
  const compiled = new Map<number, CompiledRecipe>();
  for (const r of recipes) {
    const c = compiledOf(app, r);
    if (c) compiled.set(r.id, c);
  }
  const targets = matchTargets(db, targetId);
  clearMatches(db, targetId);
  for (const t of targets) {
    if (t.last_report === null) {
      setMatched(db, t.id, null, null);
      continue;
    }
    const modules: ReportedModule[] = (JSON.parse(t.last_report) as SystemReport).modules;
    let matched: MatchRecipe | undefined;
    let matchedRc: MatchRecipe | undefined;
    for (const r of recipes) {
      const c = compiled.get(r.id);
      if (!c) continue;
      if (!matchSystem(c, modules).matched) continue;
      insertMatch(db, r.id, t.id);
      if (!matched && r.file_sha256 && isCandidate(r.lifecycle, t.scope)) matched = r;
      if (!matchedRc && r.file_sha256 && isReleaseCandidate(r.lifecycle)) matchedRc = r;
    }
    setMatched(db, t.id, matched?.id ?? null, matchedRc?.id ?? null);
  }
  const total = countReported(db);
  const counts = matchCounts(db);
  for (const r of recipes) {
    const coverage = JSON.stringify(coverageOf(counts.get(r.id) ?? 0, total));
    if (coverage !== r.coverage) setCoverage(db, r.id, coverage);
  }
  for (const t of targets) evaluateActions(app, t.id, actor);
}
