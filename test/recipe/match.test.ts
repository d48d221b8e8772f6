import { describe, expect, it } from 'vitest';
import { compileRecipe, definitionsOf, type MatchDefinition, matchSystem } from '../../src/recipe/match.js';
import { rsqlToMongo } from '../../src/recipe/rsql.js';
import type { RecipeFile, RecipeFileImage, ReportedModule } from '../../src/recipe/types.js';

const VERSIONS = ['hwVersion', 'swVersion', 'SwRevision'];
const SHA = 'a'.repeat(64);

function image(name: string, match: string, count: string, version = '2.1.0'): RecipeFileImage {
  return {
    _module: {
      name,
      description: '',
      match: rsqlToMongo(match, 'match'),
      matchCount: rsqlToMongo(count, 'count') as never,
    },
    _software: { softwareId: '77', name: `${name}-fw`, artifacts: [] },
    type: 'dummy',
    filename: `${name}.bin`,
    version,
    sha256: SHA,
  };
}

function def(name: string, match: string, count: string, version?: string): MatchDefinition {
  const img = image(name, match, count, version ?? '1.0');
  return {
    name,
    match: img._module.match,
    matchCount: img._module.matchCount,
    ...(version === undefined ? {} : { image: img }),
  };
}

let serial = 0;
function mod(
  name: string,
  attributes: Record<string, string>,
  extra: Partial<ReportedModule> = {},
): ReportedModule {
  serial++;
  return { id: `SN-${serial}`, type: attributes['module-id'] ?? 'unknown', name, attributes, ...extra };
}

function reasonsOf(result: ReturnType<typeof matchSystem>): string[] {
  return result.matched ? [] : result.reasons;
}

describe('definitionsOf', () => {
  it('lists images then _noImage in file order', () => {
    const file: RecipeFile = {
      _recipe: {
        id: '42',
        'schema-version': '1.0',
        name: 'r',
        description: '',
        published: '2026-11-20T10:00:00Z',
        versionProperties: VERSIONS,
      },
      software: {
        version: '1',
        images: [
          image('brake', 'attributes.module-id==4711', 'count>=1'),
          image('door', 'attributes.module-id==9', 'count==1'),
        ],
        _noImage: [
          {
            _module: {
              name: 'display',
              description: '',
              match: { 'module-id': '5000' },
              matchCount: { count: { $lt: 2 } },
            },
          },
        ],
      },
    };
    const defs = definitionsOf(file);
    expect(defs.map((d) => d.name)).toEqual(['brake', 'door', 'display']);
    expect(defs[0]!.image?.filename).toBe('brake.bin');
    expect(defs[2]!.image).toBeUndefined();
  });
});

describe('matchSystem', () => {
  const recipe = compileRecipe(
    [
      def(
        'brake',
        'attributes.module-id==4711 and attributes.hwVersion=in=(1.7,1.8,2.5)',
        'count=ge=1',
        '2.1.0',
      ),
      def('display', 'attributes.module-id==5000', 'count=lt=2'),
      def('gateway', 'attributes.module-id==gw', 'count==1', '7.0'),
    ],
    VERSIONS,
  );

  it('matches a system and names each module its definition and whether it is at target', () => {
    const modules = [
      mod('gw', { 'module-id': 'gw', swVersion: '07.0' }),
      mod('brake-front', { 'module-id': '4711', hwVersion: '1.7', swVersion: '2.0.1' }),
      mod('brake-rear', { 'module-id': '4711', hwVersion: '2.5', swVersion: '2.1.00' }),
    ];
    const result = matchSystem(recipe, modules);
    expect(result.matched).toBe(true);
    if (!result.matched) return;
    expect(result.assignments.map((a) => [a.module.name, a.definition.name, a.atTarget])).toEqual([
      ['gw', 'gateway', true], // 07.0 == 7.0 in natural order
      ['brake-front', 'brake', false],
      ['brake-rear', 'brake', true],
    ]);
  });

  it('never puts a module without an image at target', () => {
    const result = matchSystem(recipe, [
      mod('gw', { 'module-id': 'gw', swVersion: '1' }),
      mod('brake', { 'module-id': '4711', hwVersion: '1.8' }),
      mod('display', { 'module-id': '5000', swVersion: '1.0' }),
    ]);
    expect(result.matched && result.assignments.map((a) => a.atTarget)).toEqual([false, false, false]);
  });

  it('refuses a system with an unreachable module', () => {
    const result = matchSystem(recipe, [
      mod('gw', { 'module-id': 'gw' }),
      mod('brake', { 'module-id': '4711', hwVersion: '1.7' }, { status: 'unreachable' }),
    ]);
    expect(reasonsOf(result)).toEqual(['unreachable module brake']);
  });

  it('gives the reasons when read, also through JSON', () => {
    const result = matchSystem(recipe, [mod('radio', { 'module-id': '8000' })]);
    expect(result.matched).toBe(false);
    expect(JSON.parse(JSON.stringify(result))).toEqual({
      matched: false,
      reasons: [
        'unmatched module radio',
        'count of brake is 0, needs {"$gte":1}',
        'count of gateway is 0, needs {"$eq":1}',
      ],
    });
  });

  it('refuses a module that no definition takes', () => {
    const result = matchSystem(recipe, [
      mod('gw', { 'module-id': 'gw' }),
      mod('brake', { 'module-id': '4711', hwVersion: '3.0' }),
      mod('radio', { 'module-id': '8000' }),
    ]);
    expect(reasonsOf(result)).toEqual([
      'unmatched module brake',
      'unmatched module radio',
      'count of brake is 0, needs {"$gte":1}',
    ]);
  });

  it('refuses a module that two definitions take (never guesses)', () => {
    const overlapping = compileRecipe(
      [
        def('old-hw', 'attributes.module-id==4711 and attributes.hwVersion=lt=2', 'count=ge=0', '1'),
        def('any-brake', 'attributes.hwVersion=ge=1.5', 'count=ge=0', '1'),
        def('gw', 'attributes.module-id==gw', 'count==1'),
      ],
      VERSIONS,
    );
    const result = matchSystem(overlapping, [
      mod('gw', { 'module-id': 'gw' }),
      mod('b1', { 'module-id': '4711', hwVersion: '1.10' }),
    ]);
    expect(reasonsOf(result)).toEqual(['ambiguous module b1 (old-hw, any-brake)']);
  });

  it.each([
    ['count==1', [false, true, false]],
    ['count<2', [true, true, false]],
    ['count<=2', [true, true, true]],
    ['count>=1', [false, true, true]],
    ['count>1', [false, false, true]],
    ['count=lt=1', [true, false, false]],
    ['count=le=1', [true, true, false]],
    ['count=ge=2', [false, false, true]],
    ['count=gt=0', [false, true, true]],
  ])('holds %s exactly at its boundary (0, 1, 2 modules)', (count, expected) => {
    const r = compileRecipe([def('x', 'attributes.module-id==1', count)], VERSIONS);
    const outcomes = [0, 1, 2].map((n) => {
      const modules = Array.from({ length: n }, (_, i) => mod(`x${i}`, { 'module-id': '1' }));
      return matchSystem(r, modules).matched;
    });
    expect(outcomes).toEqual(expected);
  });

  it('evaluates any whitelisted count query, $in/$nin/$ne and $and included', () => {
    const counts: [MatchDefinition['matchCount'], boolean[]][] = [
      [{ count: { $in: [0, 2] } }, [true, false, true]],
      [{ count: { $nin: [1] } }, [true, false, true]],
      [{ count: { $ne: 1 } }, [true, false, true]],
      [{ count: { $eq: 1 } }, [false, true, false]],
      [{ count: 2 } as never, [false, false, true]],
      [{ $and: [{ count: { $gte: 1 } }, { count: { $lte: 1 } }] } as never, [false, true, false]],
    ];
    for (const [matchCount, expected] of counts) {
      const r = compileRecipe([{ name: 'x', match: { 'module-id': '1' }, matchCount }], VERSIONS);
      const outcomes = [0, 1, 2].map(
        (n) =>
          matchSystem(
            r,
            Array.from({ length: n }, (_, i) => mod(`x${i}`, { 'module-id': '1' })),
          ).matched,
      );
      expect([matchCount, outcomes]).toEqual([matchCount, expected]);
    }
  });

  it('compares version properties in natural order with every operator', () => {
    const cases: [string, string, boolean][] = [
      ['attributes.hwVersion=lt=1.10', '1.9', true], // plain string compare would say "1.9" > "1.10"
      ['attributes.hwVersion<1.9', '1.10', false],
      ['attributes.hwVersion=le=01.9', '1.9', true],
      ['attributes.hwVersion=gt=1.9', '1.10', true],
      ['attributes.hwVersion>=1.10', '1.9', false],
      ['attributes.hwVersion==1.2', '01.2', true],
      ['attributes.hwVersion!=1.2', '01.2', false],
      ['attributes.hwVersion=in=(1.02,3)', '1.2', true],
      ['attributes.hwVersion=out=(1.02,3)', '1.2', false],
      ['attributes.SwRevision=lt=5.1-beta', '5.1', true],
      ['attributes.swVersion<v10', 'v2', true],
    ];
    for (const [query, value, expected] of cases) {
      const r = compileRecipe([def('x', query, 'count>=0')], VERSIONS);
      const property = query.slice('attributes.'.length).match(/^[A-Za-z]+/)![0];
      expect([query, value, matchSystem(r, [mod('m', { [property]: value })]).matched]).toEqual([
        query,
        value,
        expected,
      ]);
    }
  });

  it('compares other properties as plain strings', () => {
    const r = compileRecipe([def('x', 'attributes.partNumber=lt=1.10', 'count>=0')], VERSIONS);
    expect(matchSystem(r, [mod('m', { partNumber: '1.9' })]).matched).toBe(false); // "1.9" > "1.10" as strings
    expect(matchSystem(r, [mod('m', { partNumber: '1.0' })]).matched).toBe(true);
    const eq = compileRecipe([def('x', 'attributes.partNumber==1.2', 'count>=0')], VERSIONS);
    expect(matchSystem(eq, [mod('m', { partNumber: '01.2' })]).matched).toBe(false);
  });

  it('tests =in= / =out= on other properties as plain strings', () => {
    const r = compileRecipe(
      [def('x', 'attributes.partNumber=in=(A-1,A-2);attributes.region=out=(eu,us)', 'count>=0')],
      VERSIONS,
    );
    expect(matchSystem(r, [mod('m', { partNumber: 'A-2', region: 'cn' })]).matched).toBe(true);
    expect(matchSystem(r, [mod('m', { partNumber: 'A-02', region: 'cn' })]).matched).toBe(false);
    expect(matchSystem(r, [mod('m', { partNumber: 'A-1', region: 'eu' })]).matched).toBe(false);
    expect(matchSystem(r, [mod('m', { partNumber: 'A-1' })]).matched).toBe(true);
  });

  it('evaluates several constraints on one field and repeated fields', () => {
    const r = compileRecipe(
      [
        def(
          'x',
          'attributes.hwVersion=ge=1.9;attributes.hwVersion<1.10.1;attributes.hwVersion!=1.10',
          'count>=0',
        ),
      ],
      VERSIONS,
    );
    expect(
      ['1.8', '1.9', '1.10', '1.10.0', '1.10.1'].map(
        (hw) => matchSystem(r, [mod('m', { hwVersion: hw })]).matched,
      ),
    ).toEqual([false, true, false, true, false]);
  });

  it('lets $ne and $nin hold for a module lacking the attribute, no other operator', () => {
    for (const property of ['hwVersion', 'partNumber']) {
      const expectations: [string, boolean][] = [
        [`attributes.${property}!=1`, true],
        [`attributes.${property}=out=(1,2)`, true],
        [`attributes.${property}==1`, false],
        [`attributes.${property}=in=(1,2)`, false],
        [`attributes.${property}<9`, false],
        [`attributes.${property}<=9`, false],
        [`attributes.${property}>0`, false],
        [`attributes.${property}>=0`, false],
      ];
      for (const [query, expected] of expectations) {
        const r = compileRecipe([def('x', `attributes.module-id==1 and ${query}`, 'count==1')], VERSIONS);
        expect([query, matchSystem(r, [mod('m', { 'module-id': '1' })]).matched]).toEqual([query, expected]);
      }
    }
  });

  it('evaluates definitions without the indexed equality against every module', () => {
    const r = compileRecipe(
      [
        def('a', 'attributes.module-id==1', 'count==1'),
        def('b', 'attributes.module-id==2', 'count==1'),
        def('anything-old', 'attributes.hwVersion<2', 'count>=0'),
      ],
      VERSIONS,
    );
    expect(
      matchSystem(r, [
        mod('m1', { 'module-id': '1', hwVersion: '3' }),
        mod('m2', { 'module-id': '2', hwVersion: '2.0' }),
        mod('m3', { hwVersion: '1.99' }),
      ]).matched,
    ).toBe(true);
    expect(
      reasonsOf(
        matchSystem(r, [mod('m1', { 'module-id': '1', hwVersion: '1' }), mod('m2', { 'module-id': '2' })]),
      ),
    ).toEqual(['ambiguous module m1 (a, anything-old)', 'count of a is 0, needs {"$eq":1}']);
  });

  it('rejects a definition whose query uses an operator outside the whitelist', () => {
    const bad: MatchDefinition = {
      name: 'evil',
      match: { $where: 'true' },
      matchCount: { count: { $gte: 0 } },
    };
    expect(() => compileRecipe([bad], VERSIONS)).toThrow(
      /definitions\[0\] \(evil\)\.match\.\$where: operator \$where is not allowed/,
    );
    const regex: MatchDefinition = {
      name: 'r',
      match: { a: { $regex: '.*' } },
      matchCount: { count: { $gte: 0 } },
    };
    expect(() => compileRecipe([regex], VERSIONS)).toThrow(/match\.a\.\$regex/);
  });
});
