/**
 * Fuzzing the RSQL parser (`src/recipe/rsql.ts`), the one grammar for module match and count queries:
 * random strings over its alphabet, mutated valid queries, and deep nesting. Every rejection is an
 * RsqlError (SOUP_E_RSQL) whose offset lies inside the query; every accepted query is a document the
 * recipe validator's operator whitelist accepts; a query generated from the grammar always parses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findOperatorFault } from '../../src/recipe/operators.js';
import { parseRsql, type QueryKind, RsqlError, rsqlToMongo } from '../../src/recipe/rsql.js';
import { bounded, expectCoded, fuzz } from './invariants.js';

const ALPHABET = [
  ...'attributes.count-_$*()\'";,=!~<>\\ \t\nandorAND0123456789éx',
  '==',
  '!=',
  '=lt=',
  '=le=',
  '=ge=',
  '=gt=',
  '=in=',
  '=out=',
  ' and ',
  'attributes.',
  'count',
];

function check(query: string, kind: QueryKind): void {
  bounded(`rsql ${kind}`, () => {
    const out = expectCoded(() => rsqlToMongo(query, kind));
    if (out instanceof Error) {
      expect(out).toBeInstanceOf(RsqlError);
      const position = (out as RsqlError).position;
      expect(position >= 0 && position <= query.length, `offset ${position} outside the query`).toBe(true);
      expect(out.message.endsWith(`at position ${position}`)).toBe(true);
      return;
    }
    const kindOfValue = kind === 'match' ? 'string' : 'count';
    expect(
      findOperatorFault(out, 'q', kindOfValue),
      `${JSON.stringify(query)} → ${JSON.stringify(out)}`,
    ).toBe(null);
  });
}

const token = fc.constantFrom(...ALPHABET);
const soup = fc.array(fc.oneof({ weight: 6, arbitrary: token }, fc.string({ maxLength: 3 })), {
  maxLength: 40,
});
const kind = fc.constantFrom<QueryKind>('match', 'count');

// the grammar, for queries that must parse
const bare = fc.stringMatching(/^[A-Za-z0-9.\-_*$]{1,8}$/).filter((s) => !s.startsWith('$'));
const quoted = fc
  .string({ minLength: 1, maxLength: 8 })
  .map((s) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`);
const value = fc.oneof(bare, quoted);
const comparison = fc.oneof(
  fc
    .tuple(bare, fc.constantFrom('==', '!=', '=lt=', '<', '=le=', '<=', '=ge=', '>=', '=gt=', '>'), value)
    .map(([n, op, v]) => `attributes.${n}${op}${v}`),
  fc
    .tuple(bare, fc.constantFrom('=in=', '=out='), fc.array(value, { minLength: 1, maxLength: 4 }))
    .map(([n, op, vs]) => `attributes.${n}${op}(${vs.join(' , ')})`),
);
const { query: validMatch } = fc.letrec<{ query: string; term: string }>((tie) => ({
  query: fc.array(tie('term'), { minLength: 1, maxLength: 4 }).chain((terms) =>
    fc
      .array(fc.constantFrom(';', ' and ', ' ; ', '\tand\n'), {
        minLength: terms.length,
        maxLength: terms.length,
      })
      .map((joins) => terms.map((t, i) => (i === 0 ? t : `${joins[i]}${t}`)).join('')),
  ),
  term: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparison,
    tie('query').map((q) => `( ${q} )`),
  ),
}));
const validCount = fc
  .tuple(fc.constantFrom('==', '=lt=', '<', '=le=', '<=', '=ge=', '>=', '=gt=', '>'), fc.nat())
  .map(([op, n]) => `count${op}${n}`);

describe('fuzz: RSQL', () => {
  it('random token soup, both query kinds and the filter dialect', async () => {
    await fuzz(
      'rsql/soup',
      fc.property(soup, kind, (parts, k) => {
        const query = parts.join('');
        check(query, k);
        // server-lite's list filters (`?q=`): same grammar, `or` allowed, dot-path selectors
        bounded('rsql filter', () => {
          const out = expectCoded(() => parseRsql(query, 'filter'));
          if (out instanceof Error) expect(out).toBeInstanceOf(RsqlError);
        });
      }),
    );
  }, 600_000);

  it('valid queries from the grammar parse; mutated ones are accepted or rejected with an offset', async () => {
    await fuzz(
      'rsql/grammar',
      fc.property(
        fc.oneof(
          validMatch.map((q) => ['match', q] as const),
          validCount.map((q) => ['count', q] as const),
        ),
        fc.nat(),
        fc.integer({ min: 0, max: 3 }),
        token,
        ([k, q], at, edit, piece) => {
          expect(() => rsqlToMongo(q, k), q).not.toThrow();
          check(q, k);
          const i = at % (q.length + 1);
          const mutatedQuery = [
            q.slice(0, i) + piece + q.slice(i),
            q.slice(0, i) + q.slice(i + 1),
            q.slice(0, i),
            q.slice(i),
          ][edit]!;
          check(mutatedQuery, k);
        },
      ),
    );
  }, 600_000);

  it('deep nesting and long input: a coded error or a result, never a stack overflow', async () => {
    await fuzz(
      'rsql/deep',
      fc.property(
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 0, max: 2 }),
        fc.boolean(),
        (depth, closing, balanced) => {
          const inner = 'attributes.a==b';
          const q =
            '('.repeat(depth) + inner + ')'.repeat(balanced ? depth : Math.max(0, depth - 1 - closing));
          check(q, 'match');
        },
      ),
    );
  }, 600_000);
});
