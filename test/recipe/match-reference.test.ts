/**
 * matchSystem against an independent, deliberately simple reference (no mingo, no index, no memo) on
 * generated recipes and systems: the index, the residual queries, the natural-order and set operators
 * and the lazy reasons must not change any verdict or reason. The reference has its own natural order,
 * written from the spec's words and sharing no code with `src/recipe/natural.ts`.
 */
import { describe, expect, it } from 'vitest';
import { compileRecipe, type MatchDefinition, matchSystem } from '../../src/recipe/match.js';
import { rsqlToMongo } from '../../src/recipe/rsql.js';
import type { MongoQuery, ReportedModule } from '../../src/recipe/types.js';
import { prng } from '../helpers/prng.js';

const rng = (seed: number): (() => number) => prng(seed).next;

const VERSIONS = new Set(['hwVersion', 'swVersion']);
const VALUES: Record<string, string[]> = {
  'module-id': ['1', '2', '3'],
  hwVersion: ['1.9', '1.10', '01.9', '2', '2.0', 'v2', 'v10'],
  swVersion: ['1', '1.0', '1.0.1', '5.1', '5.1-beta'],
  partNumber: ['A', 'B', 'a', '10', '9'],
};
const FIELDS = Object.keys(VALUES);
const OPS = ['==', '!=', '=lt=', '<=', '=ge=', '>', '=in=', '=out='];
const COUNTS = [
  'count==0',
  'count==1',
  'count<2',
  'count<=1',
  'count>=1',
  'count>0',
  'count=ge=0',
  'count=gt=1',
];

/**
 * Natural order as `recipe-file.md` words it: maximal runs of digits and of non-digits, compared run by
 * run; two digit runs by numeric value, anything else by UTF-16 code units; the string that runs out of
 * runs first is the smaller.
 */
function naturalOrder(a: string, b: string): number {
  const ra = a.match(/[0-9]+|[^0-9]+/g) ?? [];
  const rb = b.match(/[0-9]+|[^0-9]+/g) ?? [];
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i]!;
    const y = rb[i]!;
    if (/^[0-9]/.test(x) && /^[0-9]/.test(y)) {
      const d = BigInt(x) - BigInt(y);
      if (d !== 0n) return d < 0n ? -1 : 1;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return Math.sign(ra.length - rb.length);
}

/** The spec's semantics, written out directly. */
function holds(query: MongoQuery, attrs: Record<string, string>): boolean {
  return Object.entries(query).every(([key, cond]) => {
    if (key === '$and') return (cond as MongoQuery[]).every((q) => holds(q, attrs));
    const ops = typeof cond === 'string' ? { $eq: cond } : (cond as Record<string, unknown>);
    const value = attrs[key];
    const cmp = (a: string, b: string): number =>
      VERSIONS.has(key) ? naturalOrder(a, b) : a < b ? -1 : a > b ? 1 : 0;
    return Object.entries(ops).every(([op, arg]) => {
      if (value === undefined) return op === '$ne' || op === '$nin';
      const list = arg as string[];
      switch (op) {
        case '$eq':
          return cmp(value, arg as string) === 0;
        case '$ne':
          return cmp(value, arg as string) !== 0;
        case '$lt':
          return cmp(value, arg as string) < 0;
        case '$lte':
          return cmp(value, arg as string) <= 0;
        case '$gt':
          return cmp(value, arg as string) > 0;
        case '$gte':
          return cmp(value, arg as string) >= 0;
        case '$in':
          return list.some((v) => cmp(value, v) === 0);
        case '$nin':
          return !list.some((v) => cmp(value, v) === 0);
        default:
          throw new Error(`operator ${op}`);
      }
    });
  });
}

function countHolds(query: MongoQuery, n: number): boolean {
  const [op, v] = Object.entries(query)[0] as [string, number];
  return { $eq: n === v, $lt: n < v, $lte: n <= v, $gt: n > v, $gte: n >= v }[op] as boolean;
}

function reference(defs: MatchDefinition[], modules: ReportedModule[]): string[] {
  const reasons: string[] = [];
  const counts = defs.map(() => 0);
  for (const m of modules) {
    const hits = defs.flatMap((d, i) => (holds(d.match, m.attributes) ? [i] : []));
    if (hits.length === 0) reasons.push(`unmatched module ${m.name}`);
    else if (hits.length > 1)
      reasons.push(`ambiguous module ${m.name} (${hits.map((i) => defs[i]!.name).join(', ')})`);
    else counts[hits[0]!]!++;
  }
  defs.forEach((d, i) => {
    if (!countHolds(d.matchCount.count, counts[i]!)) {
      reasons.push(`count of ${d.name} is ${counts[i]}, needs ${JSON.stringify(d.matchCount.count)}`);
    }
  });
  return reasons;
}

function randomDefinitions(next: () => number): MatchDefinition[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  return Array.from({ length: 1 + Math.floor(next() * 4) }, (_, d) => {
    const terms: string[] = [];
    if (next() < 0.7) terms.push(`attributes.module-id==${pick(VALUES['module-id']!)}`);
    const extra = Math.floor(next() * 3);
    for (let t = 0; t < extra || terms.length === 0; t++) {
      const field = pick(FIELDS);
      const op = pick(OPS);
      const arg =
        op === '=in=' || op === '=out='
          ? `(${pick(VALUES[field]!)},${pick(VALUES[field]!)})`
          : pick(VALUES[field]!);
      terms.push(`attributes.${field}${op}${arg}`);
    }
    return {
      name: `d${d}`,
      match: rsqlToMongo(terms.join(next() < 0.5 ? ';' : ' and '), 'match'),
      matchCount: rsqlToMongo(pick(COUNTS), 'count') as { count: MongoQuery },
    };
  });
}

function randomSystem(next: () => number): ReportedModule[] {
  return Array.from({ length: 1 + Math.floor(next() * 5) }, (_, i) => {
    const attributes: Record<string, string> = {};
    for (const field of FIELDS) {
      if (next() < 0.85) attributes[field] = VALUES[field]![Math.floor(next() * VALUES[field]!.length)]!;
    }
    return { id: `m${i}`, type: attributes['module-id'] ?? 'unknown', name: `m${i}`, attributes };
  });
}

describe('matchSystem agrees with a direct reference', () => {
  it("the reference's natural order gives the spec's examples", () => {
    expect(naturalOrder('1.10', '1.9')).toBe(1);
    expect(naturalOrder('3.7.1', '3.7.10')).toBe(-1);
    expect(naturalOrder('5.1', '5.1-beta')).toBe(-1);
    expect(naturalOrder('v2', 'v10')).toBe(-1);
    expect(naturalOrder('01.2', '1.2')).toBe(0);
    expect(naturalOrder('99999999999999999999999', '100000000000000000000000')).toBe(-1);
  });

  it('on 300 generated recipes × 40 systems each', () => {
    const next = rng(7);
    let matched = 0;
    let unmatched = 0;
    let ambiguous = 0;
    const disagreements: string[] = [];
    for (let r = 0; r < 300; r++) {
      const defs = randomDefinitions(next);
      const recipe = compileRecipe(defs, [...VERSIONS]);
      for (let s = 0; s < 40; s++) {
        const modules = randomSystem(next);
        const expected = reference(defs, modules);
        const result = matchSystem(recipe, modules);
        const actual = result.matched ? [] : result.reasons;
        if (result.matched) {
          matched++;
          // every module went to the one definition the reference gives it
          for (const a of result.assignments) {
            const hits = defs.filter((d) => holds(d.match, a.module.attributes));
            if (hits.length !== 1 || hits[0] !== a.definition)
              disagreements.push(`assignment ${JSON.stringify(defs)}`);
          }
        }
        if (expected.some((x) => x.startsWith('unmatched'))) unmatched++;
        if (expected.some((x) => x.startsWith('ambiguous'))) ambiguous++;
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          disagreements.push(
            `${JSON.stringify(defs.map((d) => d.match))} ${JSON.stringify(modules)}: ${actual} vs ${expected}`,
          );
        }
      }
    }
    expect(disagreements.slice(0, 3)).toEqual([]);
    // the generator reaches every outcome
    expect(matched).toBeGreaterThan(100);
    expect(unmatched).toBeGreaterThan(100);
    expect(ambiguous).toBeGreaterThan(100);
  });
});
