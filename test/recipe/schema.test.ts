import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSoupError } from '../../src/lib/errors.js';
import { MAX_QUERY_DEPTH } from '../../src/recipe/operators.js';
import { parseRecipeFile, recipeSchemaPath, validateRecipeFile } from '../../src/recipe/schema.js';
import { exampleRecipeFile } from './fixtures.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function schemaErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isSoupError(err, 'SOUP_E_SCHEMA')) {
      expect(err.message).not.toContain('\n');
      return err.message;
    }
    throw err;
  }
  throw new Error('no schema error');
}

// biome-ignore lint/suspicious/noExplicitAny: the tests write values of the wrong type on purpose
type Loose = any;

/** A copy of the example with one change applied. */
function broken(change: (f: Loose) => void): unknown {
  const file = structuredClone(exampleRecipeFile()) as Loose;
  change(file);
  return file;
}

describe('recipe file schema', () => {
  it('accepts the spec example, from bytes and from a value', () => {
    const example = exampleRecipeFile();
    expect(parseRecipeFile(bytes(JSON.stringify(example, null, 2)))).toEqual(example);
    expect(validateRecipeFile(example)).toBe(example);
  });

  it('allows unknown extra keys, as SWUpdate does', () => {
    const file = broken((f) => {
      f.software.images[0].installed_directly = true;
      f._recipe.extra = { anything: 1 };
      f.software['hardware-compatibility'] = ['1.0', '1.2'];
    });
    expect(() => validateRecipeFile(file)).not.toThrow();
  });

  it('is the shipped schema file', () => {
    const schema = JSON.parse(readFileSync(recipeSchemaPath(), 'utf8'));
    expect(recipeSchemaPath().replaceAll('\\', '/')).toMatch(/schemas\/recipe-file\.schema\.json$/);
    expect(schema.required).toEqual(['_recipe', 'software']);
  });

  it.each<[string, (f: Loose) => void, string]>([
    [
      'bad sha256',
      (f) => (f.software.images[0].sha256 = 'ABC'),
      'software.images[0].sha256: must match pattern "^[0-9a-f]{64}$"',
    ],
    [
      'upper-case sha256',
      (f) => (f.software.scripts[0].sha256 = 'A'.repeat(64)),
      'software.scripts[0].sha256: must match pattern',
    ],
    ['numeric id', (f) => (f._recipe.id = 42), '_recipe.id: must be string'],
    [
      'non-decimal id',
      (f) => (f.software._systemArtifacts[1].artifacts[0].id = 'x9'),
      'software._systemArtifacts[1].artifacts[0].id: must match pattern',
    ],
    [
      'negative byteSize',
      (f) => (f.software.images[0]._software.artifacts[0].byteSize = -1),
      'software.images[0]._software.artifacts[0].byteSize: must be >= 0',
    ],
    [
      'fractional byteSize',
      (f) => (f.software.scripts[0].byteSize = 1.5),
      'software.scripts[0].byteSize: must be integer',
    ],
    [
      'published not a date-time',
      (f) => (f._recipe.published = '20.11.2026'),
      '_recipe.published: must match format "date-time"',
    ],
    ['missing image type', (f) => delete f.software.images[0].type, 'software.images[0].type: is required'],
    ['missing _recipe', (f) => delete f._recipe, '_recipe: is required'],
    [
      'missing matchCount.count',
      (f) => (f.software._noImage[1]._module.matchCount = {}),
      'software._noImage[1]._module.matchCount.count: is required',
    ],
    [
      'versionProperties not strings',
      (f) => (f._recipe.versionProperties = ['a', 3]),
      '_recipe.versionProperties[1]: must be string',
    ],
    [
      'filename with a directory',
      (f) => (f.software.scripts[0].filename = '../etc/passwd'),
      'software.scripts[0].filename: must match pattern',
    ],
    [
      'filename ..',
      (f) => (f.software.scripts[0].filename = '..'),
      'software.scripts[0].filename: must match pattern',
    ],
    [
      'image without artifacts',
      (f) => (f.software.images[0]._software.artifacts = []),
      'software.images[0]._software.artifacts: must NOT have fewer than 1 items',
    ],
    [
      'image filename not among its artifacts',
      (f) => (f.software.images[0].filename = 'other.bin'),
      'software.images[0].filename: names no artifact of software.images[0]._software.artifacts',
    ],
    [
      'image sha256 not its artifact',
      (f) => (f.software.images[0].sha256 = 'c'.repeat(64)),
      'software.images[0].sha256: differs from the sha256 of artifact brake-2.1.0.bin',
    ],
  ])('rejects %s naming the key path', (_name, change, message) => {
    expect(schemaErrorOf(() => validateRecipeFile(broken(change)))).toContain(message);
  });

  it.each<[string, unknown, string]>([
    [
      '$where',
      { $where: 'this.a == 1' },
      'software.images[0]._module.match.$where: operator $where is not allowed',
    ],
    ['$expr', { $expr: { $eq: ['$a', '1'] } }, 'match.$expr: operator $expr is not allowed'],
    ['$function', { a: { $function: {} } }, 'match.a.$function: operator $function is not allowed'],
    [
      '$regex',
      { $and: [{ 'module-id': '1' }, { hwVersion: { $regex: '^1' } }] },
      'match.$and[1].hwVersion.$regex: operator $regex is not allowed',
    ],
    ['$or', { $or: [{ a: '1' }, { a: '2' }] }, 'match.$or: operator $or is not allowed'],
    [
      '$elemMatch',
      { a: { $elemMatch: { b: '1' } } },
      'match.a.$elemMatch: operator $elemMatch is not allowed',
    ],
    ['a non-string value', { a: { $lt: 3 } }, 'match.a.$lt: must be a string'],
    ['$in without array', { a: { $in: 'x' } }, 'match.a.$in: must be a non-empty array'],
    ['an empty query', {}, 'software.images[0]._module.match: must not be empty'],
    ['a nested document', { a: { b: 'c' } }, 'match.a.b: operator b is not allowed'],
  ])('rejects %s in match (operator whitelist)', (_name, match, message) => {
    const file = broken((f) => (f.software.images[0]._module.match = match));
    expect(schemaErrorOf(() => validateRecipeFile(file))).toContain(message);
  });

  it('refuses $and nested deeper than MAX_QUERY_DEPTH, even 10,000 deep (no stack overflow)', () => {
    const nested = (depth: number): unknown => {
      let q: unknown = { a: '1' };
      for (let i = 0; i < depth; i++) q = { $and: [q] };
      return q;
    };
    const ok = broken((f) => (f.software.images[0]._module.match = nested(MAX_QUERY_DEPTH)));
    expect(validateRecipeFile(ok)).toBeDefined();
    for (const depth of [MAX_QUERY_DEPTH + 1, 10_000]) {
      const deep = broken((f) => (f.software.images[0]._module.match = nested(depth)));
      const path = `software.images[0]._module.match${'.$and[0]'.repeat(MAX_QUERY_DEPTH + 1)}`;
      expect(schemaErrorOf(() => validateRecipeFile(deep))).toBe(
        `${path}: $and nested deeper than ${MAX_QUERY_DEPTH}`,
      );
    }
  });

  it('applies the whitelist to _noImage and to matchCount', () => {
    const noImage = broken((f) => (f.software._noImage[0]._module.match = { $nor: [{ a: '1' }] }));
    expect(schemaErrorOf(() => validateRecipeFile(noImage))).toBe(
      'software._noImage[0]._module.match.$nor: operator $nor is not allowed',
    );
    const count = broken((f) => (f.software._noImage[1]._module.matchCount = { count: { $mod: [2, 0] } }));
    expect(schemaErrorOf(() => validateRecipeFile(count))).toBe(
      'software._noImage[1]._module.matchCount.count.$mod: operator $mod is not allowed',
    );
    const other = broken(
      (f) => (f.software._noImage[1]._module.matchCount = { count: { $gte: 1 }, size: { $gte: 1 } }),
    );
    expect(schemaErrorOf(() => validateRecipeFile(other))).toContain(
      "matchCount.size: a count query constrains only 'count'",
    );
    const negative = broken((f) => (f.software._noImage[1]._module.matchCount = { count: { $gte: -1 } }));
    expect(schemaErrorOf(() => validateRecipeFile(negative))).toContain(
      'matchCount.count.$gte: must be a non-negative integer',
    );
  });

  it.each([
    ['{"_recipe": }', 12, "unexpected '}'"],
    ['{"_recipe": {"id": "1",}}', 23, 'expected a property name'],
    ['{"_recipe": {"id": "1"', 22, "expected ',' or '}'"],
    ['{"é": 1 "x"}', 9, "expected ',' or '}'"], // é is two bytes: byte 9, character 8
    ['{"a": [1, 2 3]}', 12, "expected ',' or ']'"],
    ['{"a": tru}', 9, "unexpected '}'"],
    ['{"a": 01}', 7, "expected ',' or '}'"],
    ['{"a": "\\x"}', 8, 'bad escape'],
    ['{"a": "x\n"}', 8, 'control character'],
    ['{"a": 1} {}', 9, 'unexpected data after the JSON value'],
    ['', 0, 'unexpected end of input'],
    ['[[[[[[', 6, 'unexpected end of input'],
    ['{"a": "abc', 6, 'unterminated string'],
  ])('reports a JSON syntax error in %j at byte %i', (text, offset, message) => {
    const msg = schemaErrorOf(() => parseRecipeFile(bytes(text)));
    expect(msg).toContain(`at byte ${offset}: `);
    expect(msg).toContain(message);
  });

  it('refuses a key that appears twice in one object (readers could disagree on its value)', () => {
    const text = JSON.stringify(exampleRecipeFile()).replace(
      '"version":"2.1.0"',
      '"version":"2.1.0","version":"9.9.9"',
    );
    const at = Buffer.from(text.slice(0, text.indexOf('"version":"9.9.9"'))).length;
    expect(schemaErrorOf(() => parseRecipeFile(bytes(text)))).toBe(
      `recipe file is not valid JSON at byte ${at}: duplicate key "version"`,
    );
    // an escaped spelling of the same key is the same key
    const escaped = '{"a": {"k": 1, "\u006b": 2}}';
    expect(schemaErrorOf(() => parseRecipeFile(bytes(escaped)))).toBe(
      'recipe file is not valid JSON at byte 15: duplicate key "k"',
    );
    // the same key in different objects is fine
    expect(
      schemaErrorOf(() =>
        parseRecipeFile(bytes('{"a": {"k": 1}, "b": {"k": 2}, "c": [{"k": 1}, {"k": 2}]}')),
      ),
    ).toBe('_recipe: is required');
  });

  it('survives very deep nesting in a broken file', () => {
    const msg = schemaErrorOf(() => parseRecipeFile(bytes('['.repeat(200_000))));
    expect(msg).toContain('at byte 200000');
  });

  it('rejects bytes that are not UTF-8', () => {
    expect(schemaErrorOf(() => parseRecipeFile(new Uint8Array([0x7b, 0xff, 0x7d])))).toContain(
      'not valid UTF-8',
    );
  });
});
