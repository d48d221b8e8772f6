/**
 * The match algorithm (`recipe-file.md`, "The match algorithm"), shared by server-lite and the agent.
 * mingo evaluates the queries; version properties compare in natural order. Owner: recipe.
 */
import { notBuilt } from '../lib/errors.js';
import type { MongoQuery, RecipeFile, RecipeFileImage, ReportedModule } from './types.js';

/** One module update definition: an `images[]` entry (with `image`) or a `_noImage[]` entry. */
export interface MatchDefinition {
  name: string;
  match: MongoQuery;
  matchCount: { count: MongoQuery };
  image?: RecipeFileImage;
}

/** Queries compiled once; reusable across any number of systems. */
export interface CompiledRecipe {
  readonly definitions: readonly MatchDefinition[];
  readonly versionProperties: readonly string[];
}

export interface Assignment {
  module: ReportedModule;
  definition: MatchDefinition;
  /** The module's swVersion equals the image's version in natural order (never true without an image). */
  atTarget: boolean;
}

export type MatchResult =
  | { matched: true; assignments: Assignment[] }
  | { matched: false; reasons: string[] };

/** `images` then `_noImage`, in file order. */
export function definitionsOf(_file: RecipeFile): MatchDefinition[] {
  return notBuilt('recipe matching');
}

export function compileRecipe(_definitions: MatchDefinition[], _versionProperties: string[]): CompiledRecipe {
  return notBuilt('recipe matching');
}

/** Unreachable, unmatched or ambiguous modules and failed counts each give one reason. */
export function matchSystem(_recipe: CompiledRecipe, _modules: ReportedModule[]): MatchResult {
  return notBuilt('recipe matching');
}
