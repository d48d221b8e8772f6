import { describe, expect, it } from 'vitest';
import { MAX_GROUP_DEPTH, RsqlError, rsqlToMongo } from '../../src/recipe/rsql.js';

function errorOf(query: string, kind: 'match' | 'count' = 'match'): RsqlError {
  try {
    rsqlToMongo(query, kind);
  } catch (err) {
    if (err instanceof RsqlError) return err;
    throw err;
  }
  throw new Error(`no error for ${query}`);
}

describe('rsqlToMongo match queries', () => {
  it.each([
    ['attributes.module-id==4711', { 'module-id': '4711' }],
    ['attributes.iso-code!=uk', { 'iso-code': { $ne: 'uk' } }],
    ['attributes.hwVersion=lt=3.7.1', { hwVersion: { $lt: '3.7.1' } }],
    ['attributes.hwVersion<3.7.1', { hwVersion: { $lt: '3.7.1' } }],
    ['attributes.partNumber=le=1337', { partNumber: { $lte: '1337' } }],
    ['attributes.partNumber<=1337', { partNumber: { $lte: '1337' } }],
    ['attributes.SwRevision=ge=5.1-beta', { SwRevision: { $gte: '5.1-beta' } }],
    ['attributes.SwRevision>=5.1-beta', { SwRevision: { $gte: '5.1-beta' } }],
    ['attributes.Ver=gt=3.7.1', { Ver: { $gt: '3.7.1' } }],
    ['attributes.Ver>3.7.1', { Ver: { $gt: '3.7.1' } }],
    ['attributes.hwVersion=in=(1.3,1.4,2.5)', { hwVersion: { $in: ['1.3', '1.4', '2.5'] } }],
    ['attributes.hwVersion=out=(3.1-beta,5.2-rc)', { hwVersion: { $nin: ['3.1-beta', '5.2-rc'] } }],
    ['attributes.hwVersion=in=( 1.3 , 1.4 )', { hwVersion: { $in: ['1.3', '1.4'] } }],
    ['attributes.hwVersion=in=(1.3)', { hwVersion: { $in: ['1.3'] } }],
  ])('%s', (query, expected) => {
    expect(rsqlToMongo(query, 'match')).toEqual(expected);
  });

  it('composes with "and" and ";" into one $and', () => {
    const expected = {
      $and: [{ 'module-id': '4711' }, { hwVersion: { $in: ['1.7', '1.8', '2.5'] } }],
    };
    expect(
      rsqlToMongo('attributes.module-id==4711 and attributes.hwVersion=in=(1.7,1.8,2.5)', 'match'),
    ).toEqual(expected);
    expect(rsqlToMongo('attributes.module-id==4711;attributes.hwVersion=in=(1.7,1.8,2.5)', 'match')).toEqual(
      expected,
    );
    expect(rsqlToMongo('attributes.a==1 ; attributes.b==2 and attributes.c==3', 'match')).toEqual({
      $and: [{ a: '1' }, { b: '2' }, { c: '3' }],
    });
  });

  it('keeps parenthesised groups', () => {
    expect(rsqlToMongo('(attributes.a==1;attributes.b==2) and attributes.c==3', 'match')).toEqual({
      $and: [{ $and: [{ a: '1' }, { b: '2' }] }, { c: '3' }],
    });
    expect(rsqlToMongo('  ( attributes.a==1 )  ', 'match')).toEqual({ a: '1' });
  });

  it('takes quoted values literally and * as a character', () => {
    expect(rsqlToMongo("attributes.name=='a b'", 'match')).toEqual({ name: 'a b' });
    expect(rsqlToMongo('attributes.name=="x; and (y)"', 'match')).toEqual({ name: 'x; and (y)' });
    expect(rsqlToMongo("attributes.name=='it\\'s'", 'match')).toEqual({ name: "it's" });
    expect(rsqlToMongo('attributes.name==ab*', 'match')).toEqual({ name: 'ab*' });
    expect(rsqlToMongo('attributes.v=in=(\'a b\',"c,d",*)', 'match')).toEqual({
      v: { $in: ['a b', 'c,d', '*'] },
    });
  });
});

describe('rsqlToMongo errors carry the offset of the fault', () => {
  it.each([
    ['attributes.a==1 AND attributes.b==2', 16, /lower case/],
    ['attributes.a==1 or attributes.b==2', 16, /'or' composition/],
    ['attributes.a==1 OR attributes.b==2', 16, /'OR' composition/],
    ['attributes.a==1,attributes.b==2', 15, /',' \(or\) composition/],
    ['attributes.a=foo=1', 12, /unknown operator '=foo='/],
    ['attributes.a=~1', 12, /unknown operator/],
    ['attributes.a~1', 12, /unknown operator '~'/],
    ['attributes.a!1', 12, /unknown operator '!'/],
    ['attributes.a==', 14, /empty value/],
    ['attributes.a== and attributes.b==1', 14, /empty value/],
    ["attributes.a==''", 14, /empty value/],
    ['attributes.a=in=()', 17, /empty value/],
    ['attributes.a=in=(1,,2)', 19, /empty value/],
    ['module-id==4711', 0, /must start with 'attributes.'/],
    ['attributes.a==1;hw==2', 16, /must start with 'attributes.'/],
    ['attributes.==1', 11, /attribute name missing/],
    ['attributes.$where==1', 11, /must not start with '\$'/],
    ['attributes.a', 12, /expected an operator/],
    ['', 0, /empty query/],
    ['attributes.a==1;', 16, /expected a comparison/],
    ['attributes.a==1 and', 19, /expected a comparison/],
    ["attributes.a=='abc", 14, /unterminated/],
    ['attributes.a=in=1', 16, /expected '\('/],
    ['attributes.a=in=(1,2', 16, /unclosed/],
    ['attributes.a=in=(1 2)', 19, /expected ',' or '\)'/],
    ['(attributes.a==1', 0, /unclosed '\('/],
    ['attributes.a==1)', 15, /unexpected '\)'/],
    ['attributes.a==1=2', 15, /unexpected '='/],
  ])('%s → position %i', (query, position, message) => {
    const err = errorOf(query);
    expect(err.code).toBe('SOUP_E_RSQL');
    expect(err.position).toBe(position);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`at position ${position}`);
  });
});

describe('rsqlToMongo count queries', () => {
  it.each([
    ['count==1', { count: { $eq: 1 } }],
    ['count=lt=2', { count: { $lt: 2 } }],
    ['count<2', { count: { $lt: 2 } }],
    ['count=le=2', { count: { $lte: 2 } }],
    ['count<=2', { count: { $lte: 2 } }],
    ['count=ge=0', { count: { $gte: 0 } }],
    ['count>=0', { count: { $gte: 0 } }],
    ['count=gt=0', { count: { $gt: 0 } }],
    ['count>0', { count: { $gt: 0 } }],
    [' count==12 ', { count: { $eq: 12 } }],
  ])('%s', (query, expected) => {
    expect(rsqlToMongo(query, 'count')).toEqual(expected);
  });

  it.each([
    ['count==x', 7, /not a non-negative integer/],
    ['count==-1', 7, /not a non-negative integer/],
    ['count==1.5', 7, /not a non-negative integer/],
    ['count!=1', 5, /not allowed in a count query/],
    ['count=in=(1,2)', 5, /not allowed in a count query/],
    ['count=out=(1)', 5, /not allowed in a count query/],
    ['attributes.count==1', 0, /selector must be 'count'/],
    ['count==1 and count<3', 9, /single comparison/],
    ['count==1;count<3', 8, /single comparison/],
    ['count==', 7, /empty value/],
    ['count==1 or count==2', 9, /'or' composition/],
  ])('%s → position %i', (query, position, message) => {
    const err = errorOf(query, 'count');
    expect(err.position).toBe(position);
    expect(err.message).toMatch(message);
  });
});

describe('rsqlToMongo nesting', () => {
  it(`accepts groups ${MAX_GROUP_DEPTH} deep`, () => {
    const q = `${'('.repeat(MAX_GROUP_DEPTH)}attributes.a==b${')'.repeat(MAX_GROUP_DEPTH)}`;
    expect(rsqlToMongo(q, 'match')).toEqual({ a: 'b' });
  });

  it('refuses deeper groups at the first one too deep (no stack overflow, even 100,000 deep)', () => {
    for (const depth of [MAX_GROUP_DEPTH + 1, 100_000]) {
      const err = errorOf(`${'('.repeat(depth)}attributes.a==b${')'.repeat(depth)}`);
      expect(err.position).toBe(MAX_GROUP_DEPTH);
      expect(err.message).toBe(`groups nested deeper than ${MAX_GROUP_DEPTH} at position ${MAX_GROUP_DEPTH}`);
    }
  });
});
