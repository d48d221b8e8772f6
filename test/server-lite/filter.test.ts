/**
 * List filters (`?q=`): the shared RSQL parser in its `filter` dialect, evaluated with mingo; wildcards
 * by a matcher that builds no RegExp from the request (checked against a reference matcher with
 * fast-check), the list semantics kept (case-insensitive strings, numbers, arrays, or/and precedence).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRsql, RsqlError } from '../../src/recipe/rsql.js';
import { ApiError } from '../../src/server-lite/http/errors.js';
import { globMatch, parseFilter } from '../../src/server-lite/http/filter.js';

/** Reference: dynamic programming over (text, pattern) positions. */
function globReference(text: string, pattern: string): boolean {
  let row = new Array<boolean>(pattern.length + 1).fill(false);
  row[0] = true;
  for (let j = 1; j <= pattern.length; j++) row[j] = (row[j - 1] as boolean) && pattern[j - 1] === '*';
  for (let i = 1; i <= text.length; i++) {
    const next = new Array<boolean>(pattern.length + 1).fill(false);
    for (let j = 1; j <= pattern.length; j++) {
      next[j] =
        pattern[j - 1] === '*'
          ? (next[j - 1] as boolean) || (row[j] as boolean)
          : (row[j - 1] as boolean) && pattern[j - 1] === text[i - 1];
    }
    row = next;
  }
  return row[pattern.length] as boolean;
}

const modules = [
  {
    id: 1,
    name: 'Brake-ECU',
    version: '10',
    size: 12,
    deleted: false,
    tags: ['Q4', 'eu'],
    type: { key: 'firmware' },
  },
  { id: 2, name: 'brake-plc', version: '9', size: 3, deleted: true, tags: [], type: { key: 'application' } },
  { id: 3, name: 'door', version: '2.1', size: 40, deleted: false, tags: ['us'], type: { key: 'firmware' } },
];
const ids = (q: string) => modules.filter(parseFilter(q)).map((m) => m.id);

describe('globMatch', () => {
  it('agrees with the reference matcher', () => {
    const alphabet = fc.constantFrom('a', 'b', '*');
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 12 }),
        fc.string({ unit: alphabet, maxLength: 8 }),
        (t, p) => {
          const text = t.replaceAll('*', 'c');
          expect(globMatch(text, p)).toBe(globReference(text, p));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('answers a pattern that makes a backtracking RegExp explode', () => {
    const text = 'a'.repeat(5000);
    expect(globMatch(text, `${'*a'.repeat(200)}*b`)).toBe(false);
    expect(globMatch(`${text}b`, `${'*a'.repeat(200)}*b`)).toBe(true);
  });
});

describe('parseFilter', () => {
  it('keeps the list semantics: case, numbers, arrays, wildcards, precedence, groups', () => {
    expect(ids('name==brake*')).toEqual([1, 2]);
    expect(ids('name==BRAKE-ecu')).toEqual([1]);
    expect(ids('name!=brake*')).toEqual([3]);
    expect(ids('size=gt=10')).toEqual([1, 3]);
    expect(ids('size<10')).toEqual([2]);
    expect(ids('version=ge=2')).toEqual([2, 3]); // text: '10' < '2'
    expect(ids('deleted==true')).toEqual([2]);
    expect(ids('tags==q4')).toEqual([1]);
    expect(ids('tags=in=(us,eu)')).toEqual([1, 3]);
    expect(ids('tags=out=(us,eu)')).toEqual([2]);
    expect(ids('type.key==firmware;size=lt=20')).toEqual([1]);
    expect(ids('name==door,name==brake-plc;deleted==true')).toEqual([2, 3]);
    expect(ids('(name==door or name==brake-plc) and deleted==false')).toEqual([3]);
    expect(ids('missing!=x')).toEqual([1, 2, 3]);
    expect(ids('missing==x')).toEqual([]);
    expect(ids("name=='brake*'")).toEqual([1, 2]);
  });

  it('a fault is 400 soup.request.invalidQuery naming the position', () => {
    const fault = (q: string) => {
      try {
        parseFilter(q);
      } catch (err) {
        expect(err).toBeInstanceOf(ApiError);
        return {
          status: (err as ApiError).status,
          code: (err as ApiError).errorCode,
          ...(err as ApiError).extra,
        };
      }
      throw new Error(`${q} parsed`);
    };
    expect(fault('name=~x')).toEqual({ status: 400, code: 'soup.request.invalidQuery', position: 4 });
    expect(fault('name==a;')).toMatchObject({ position: 8 });
    expect(fault('$where==1')).toMatchObject({ position: 0 });
    expect(fault('type.__proto__==x')).toMatchObject({ position: 5 });
    expect(fault('a..b==x')).toMatchObject({ position: 2 });
    expect(fault(`${'('.repeat(100)}a==b${')'.repeat(100)}`)).toMatchObject({ position: 32 });
    expect(fault('(a==b')).toMatchObject({ position: 0 });
  });

  it('recipe queries keep refusing or (same parser, restricted dialect)', () => {
    expect(() => parseRsql('attributes.a==1,attributes.b==2', 'match')).toThrow(RsqlError);
    expect(parseRsql('a==1,b==2', 'filter')).toEqual({
      or: [
        { field: 'a', op: '$eq', values: ['1'], position: 0 },
        { field: 'b', op: '$eq', values: ['2'], position: 5 },
      ],
    });
  });
});
