/**
 * Fuzzing the recipe file parser and validator (`parseRecipeFile`, `validateRecipeFile`) and, for what
 * they accept, the matcher built from it (`compileRecipe`, `matchSystem`): random bytes, mutated bytes
 * of a valid file, and a valid file with one value replaced by any JSON value. Every rejection is a
 * coded SoupError with a one-line message; nothing accepted breaks the matcher.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { compileRecipe, definitionsOf, matchSystem } from '../../src/recipe/match.js';
import { parseRecipeFile, validateRecipeFile } from '../../src/recipe/schema.js';
import type { RecipeFile, ReportedModule } from '../../src/recipe/types.js';
import { exampleRecipeFile } from '../recipe/fixtures.js';
import { bounded, expectCoded, fuzz, mutated, textishBytes } from './invariants.js';

const VALID = Buffer.from(JSON.stringify(exampleRecipeFile()));

const modules: fc.Arbitrary<ReportedModule[]> = fc.array(
  fc.record({
    id: fc.string({ maxLength: 8 }),
    type: fc.constantFrom('gateway', '4711', '5000', 'unknown'),
    name: fc.string({ maxLength: 8 }),
    attributes: fc.dictionary(
      fc.constantFrom('module-id', 'hwVersion', 'swVersion', 'SwRevision', 'x'),
      fc.constantFrom('4711', '5000', 'gw', '1.7', '1.8', '2.5', '2.1.0', '', '10'),
    ),
  }),
  { maxLength: 5 },
);

/** What an accepted file must survive: compiling its queries and matching a random system. */
function useAccepted(file: RecipeFile, system: ReportedModule[]): void {
  const compiled = expectCoded(() =>
    compileRecipe(definitionsOf(file), file._recipe.versionProperties ?? []),
  );
  if (compiled instanceof Error) return;
  expectCoded(() => {
    const result = matchSystem(compiled, system);
    if (!result.matched) void result.reasons;
  });
}

function check(bytes: Uint8Array, system: ReportedModule[]): void {
  bounded('parseRecipeFile', () => {
    const file = expectCoded(() => parseRecipeFile(bytes));
    if (!(file instanceof Error)) useAccepted(file, system);
  });
}

/** Every path to a value inside a JSON document (object keys and array indexes). */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(value)) for (const [i, v] of value.entries()) out.push(...paths(v, [...at, i]));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  return out;
}

const ALL_PATHS = paths(exampleRecipeFile()).filter((p) => p.length > 0);

function replaced(path: (string | number)[], value: unknown, remove: boolean): unknown {
  const doc = exampleRecipeFile() as unknown as Record<string | number, unknown>;
  let node = doc;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (remove) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = value;
  return doc;
}

describe('fuzz: recipe file parser and validator', () => {
  it('random bytes (JSON-ish alphabet)', async () => {
    await fuzz(
      'recipe/random-bytes',
      fc.property(textishBytes('{}[]":,0123456789.-eE truefalsn\\u_$', 300), modules, check),
    );
  }, 600_000);

  it('mutated bytes of a valid recipe file', async () => {
    await fuzz('recipe/mutated-bytes', fc.property(mutated(VALID), modules, check));
  }, 600_000);

  it('a valid recipe file with one value replaced or removed', async () => {
    await fuzz(
      'recipe/replaced-value',
      fc.property(
        fc.constantFrom(...ALL_PATHS),
        fc.jsonValue({ maxDepth: 3 }),
        fc.boolean(),
        modules,
        (path, value, remove, system) => {
          const doc = replaced(path, value, remove);
          bounded('validateRecipeFile', () => {
            const file = expectCoded(() => validateRecipeFile(doc));
            if (!(file instanceof Error)) useAccepted(file, system);
          });
          check(Buffer.from(JSON.stringify(doc)), system);
        },
      ),
    );
  }, 600_000);

  it('deeply nested $and in a match query: a coded error or a result, never a stack overflow', async () => {
    await fuzz(
      'recipe/deep-and',
      fc.property(fc.integer({ min: 1, max: 2_000 }), modules, (depth, system) => {
        // the text is built by hand: JSON.stringify itself recurses
        const match = `${'{"$and":['.repeat(depth)}{"module-id":"4711"}${']}'.repeat(depth)}`;
        const doc = exampleRecipeFile();
        doc.software.images![0]!._module.match = { deep: 'MATCH' };
        const text = JSON.stringify(doc).replace('{"deep":"MATCH"}', match);
        check(Buffer.from(text), system);
      }),
    );
  }, 600_000);
});
