/**
 * The match algorithm (`recipe-file.md`, "The match algorithm"), shared by server-lite and the agent.
 * mingo evaluates the queries; version properties compare in natural order. Owner: recipe.
 *
 * Compiling does the per-recipe work once so a match job can run it for 100,000 systems:
 * - the operator whitelist is checked and every query compiled with mingo once;
 * - definitions are indexed by one equality predicate (the field most of them pin with `==`, usually
 *   `module-id`), so a module is only tested against the definitions that can take it plus those
 *   without that predicate;
 * - the indexed predicate is removed from the query that is left to evaluate (often nothing is left);
 * - count queries are memoised by count value.
 */
import { Query } from 'mingo';
import { SoupError } from '../lib/errors.js';
import { naturalCompare } from './natural.js';
import { findOperatorFault } from './operators.js';
import type { MongoQuery, RecipeFile, RecipeFileImage, ReportedModule } from './types.js';
import { naturalContext, rewriteVersionOperators } from './version-operators.js';

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

/** What compileRecipe keeps per definition. */
interface CompiledDefinition {
  readonly position: number;
  readonly definition: MatchDefinition;
  /** The rest of the match query after the indexed equality; null when nothing is left. */
  readonly residual: Query | null;
  readonly count: Query;
  readonly countMemo: Map<number, boolean>;
}

interface Compiled extends CompiledRecipe {
  readonly compiled: readonly CompiledDefinition[];
  /** Field whose equality value indexes the definitions (null: no definition pins one). */
  readonly indexField: string | null;
  readonly byValue: ReadonlyMap<string, readonly CompiledDefinition[]>;
  /** Definitions without the indexed equality: candidates for every module. */
  readonly unindexed: readonly CompiledDefinition[];
}

/** `images` then `_noImage`, in file order. */
export function definitionsOf(file: RecipeFile): MatchDefinition[] {
  const images = (file.software.images ?? []).map(
    (image): MatchDefinition => ({
      name: image._module.name,
      match: image._module.match,
      matchCount: image._module.matchCount,
      image,
    }),
  );
  const noImage = (file.software._noImage ?? []).map(
    ({ _module }): MatchDefinition => ({
      name: _module.name,
      match: _module.match,
      matchCount: _module.matchCount,
    }),
  );
  return [...images, ...noImage];
}

/** The conjunction's terms, each `{field: condition}` or a non-$and operator, flattened through `$and`. */
function termsOf(query: MongoQuery): MongoQuery[] {
  const terms: MongoQuery[] = [];
  for (const [key, cond] of Object.entries(query)) {
    if (key === '$and' && Array.isArray(cond))
      for (const q of cond as MongoQuery[]) terms.push(...termsOf(q));
    else terms.push({ [key]: cond });
  }
  return terms;
}

/** `{field: "v"}` or `{field: {$eq: "v"}}` on a plain (non-version) property. */
function equalityOf(term: MongoQuery, versionProperties: ReadonlySet<string>): [string, string] | null {
  const [field, cond] = Object.entries(term)[0] ?? [];
  if (field === undefined || field.startsWith('$') || versionProperties.has(field)) return null;
  if (typeof cond === 'string') return [field, cond];
  if (typeof cond === 'object' && cond !== null) {
    const keys = Object.keys(cond);
    const value = (cond as Record<string, unknown>).$eq;
    if (keys.length === 1 && typeof value === 'string') return [field, value];
  }
  return null;
}

function compileQuery(query: MongoQuery, versionProperties: ReadonlySet<string>): Query {
  return new Query(rewriteVersionOperators(query, versionProperties), { context: naturalContext });
}

/** Picks the field most definitions pin with an equality (ties: the first seen). */
function chooseIndexField(termLists: MongoQuery[][], versionProperties: ReadonlySet<string>): string | null {
  const counts = new Map<string, number>();
  for (const terms of termLists) {
    const fields = new Set(
      terms.map((t) => equalityOf(t, versionProperties)?.[0]).filter((f) => f !== undefined),
    );
    for (const f of fields) counts.set(f, (counts.get(f) ?? 0) + 1);
  }
  let best: string | null = null;
  let bestCount = 0;
  for (const [field, n] of counts) {
    if (n > bestCount) [best, bestCount] = [field, n];
  }
  return best;
}

/**
 * Checks the operator whitelist and compiles every query once. Throws SoupError SOUP_E_MATCH naming the
 * definition and key path of a query that is not allowed.
 */
export function compileRecipe(definitions: MatchDefinition[], versionProperties: string[]): CompiledRecipe {
  const versions: ReadonlySet<string> = new Set(versionProperties);
  definitions.forEach((d, i) => {
    const fault =
      findOperatorFault(d.match, `definitions[${i}] (${d.name}).match`, 'string') ??
      findOperatorFault(d.matchCount, `definitions[${i}] (${d.name}).matchCount`, 'count');
    if (fault) throw new SoupError('SOUP_E_MATCH', `${fault.path}: ${fault.message}`);
  });
  const termLists = definitions.map((d) => termsOf(d.match));
  const indexField = chooseIndexField(termLists, versions);
  const byValue = new Map<string, CompiledDefinition[]>();
  const unindexed: CompiledDefinition[] = [];
  const compiled = definitions.map((definition, position): CompiledDefinition => {
    const terms = termLists[position]!;
    const pinned = terms.findIndex((t) => equalityOf(t, versions)?.[0] === indexField);
    const rest = pinned >= 0 ? terms.filter((_, i) => i !== pinned) : terms;
    const residual =
      rest.length === 0 ? null : compileQuery(rest.length === 1 ? rest[0]! : { $and: rest }, versions);
    const entry: CompiledDefinition = {
      position,
      definition,
      residual,
      count: compileQuery(definition.matchCount, versions),
      countMemo: new Map(),
    };
    if (pinned >= 0) {
      const value = equalityOf(terms[pinned]!, versions)![1];
      const list = byValue.get(value);
      if (list) list.push(entry);
      else byValue.set(value, [entry]);
    } else {
      unindexed.push(entry);
    }
    return entry;
  });
  const recipe: Compiled = {
    definitions: [...definitions],
    versionProperties: [...versionProperties],
    compiled,
    indexField,
    byValue,
    unindexed,
  };
  return recipe;
}

function countHolds(def: CompiledDefinition, count: number): boolean {
  let holds = def.countMemo.get(count);
  if (holds === undefined) {
    holds = def.count.test({ count });
    def.countMemo.set(count, holds);
  }
  return holds;
}

/** The definitions (file order) whose match the module satisfies. */
function candidatesFor(recipe: Compiled, module: ReportedModule): CompiledDefinition[] {
  const found: CompiledDefinition[] = [];
  const attributes = module.attributes;
  if (recipe.indexField !== null) {
    const value = attributes[recipe.indexField];
    const pinned = value === undefined ? undefined : recipe.byValue.get(value);
    if (pinned) for (const d of pinned) if (d.residual === null || d.residual.test(attributes)) found.push(d);
  }
  const before = found.length;
  for (const d of recipe.unindexed) if (d.residual === null || d.residual.test(attributes)) found.push(d);
  if (before > 0 && found.length > before) found.sort((a, b) => a.position - b.position);
  return found;
}

function asCompiled(recipe: CompiledRecipe): Compiled {
  if (!('compiled' in recipe)) throw new SoupError('SOUP_E_MATCH', 'recipe was not made by compileRecipe');
  return recipe as Compiled;
}

/** Unreachable, unmatched or ambiguous modules and failed counts each give one reason. */
export function matchSystem(recipe: CompiledRecipe, modules: ReportedModule[]): MatchResult {
  const compiled = asCompiled(recipe);
  const unreachable = modules.filter((m) => m.status === 'unreachable');
  if (unreachable.length > 0) {
    return { matched: false, reasons: unreachable.map((m) => `unreachable module ${m.name}`) };
  }
  const reasons: string[] = [];
  const assigned: CompiledDefinition[] = [];
  const counts = new Array<number>(compiled.compiled.length).fill(0);
  for (const module of modules) {
    const found = candidatesFor(compiled, module);
    const only = found[0];
    if (only === undefined) {
      reasons.push(`unmatched module ${module.name}`);
    } else if (found.length > 1) {
      reasons.push(`ambiguous module ${module.name} (${found.map((d) => d.definition.name).join(', ')})`);
    } else {
      assigned.push(only);
      counts[only.position]!++;
    }
  }
  for (const def of compiled.compiled) {
    const count = counts[def.position]!;
    if (!countHolds(def, count)) {
      reasons.push(
        `count of ${def.definition.name} is ${count}, needs ${JSON.stringify(def.definition.matchCount.count)}`,
      );
    }
  }
  if (reasons.length > 0) return { matched: false, reasons };
  return {
    matched: true,
    assignments: modules.map((module, i) => {
      const definition = assigned[i]!.definition;
      const sw = module.attributes.swVersion;
      const atTarget =
        definition.image !== undefined &&
        sw !== undefined &&
        naturalCompare(sw, definition.image.version) === 0;
      return { module, definition, atTarget };
    }),
  };
}
