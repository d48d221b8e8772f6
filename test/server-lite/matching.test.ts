/**
 * The match job through the API: unmatched, ambiguous, unreachable, every count operator, natural order
 * of version properties, coverage classes at their boundaries, per-scope candidates (production vs
 * testing), newest published wins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coverageOf } from '../../src/server-lite/domain/recipe-store.js';
import { mod, noImageRecipe, report, toReleaseCandidate, toReleased } from './flows.js';
import { type Harness, startHarness } from './harness.js';
import { testSigner } from './signer.js';

const signer = testSigner('oem');

describe('coverage classes (pure)', () => {
  it.each([
    [0, 0, 'NONE'],
    [0, 5, 'NONE'],
    [1, 100, 'VERY_LOW'],
    [20, 100, 'VERY_LOW'],
    [21, 100, 'LOW'],
    [40, 100, 'LOW'],
    [41, 100, 'MEDIUM'],
    [60, 100, 'MEDIUM'],
    [61, 100, 'HIGH'],
    [80, 100, 'HIGH'],
    [81, 100, 'VERY_HIGH'],
    [100, 100, 'VERY_HIGH'],
  ])('%i of %i → %s', (matched, total, cls) => {
    expect(coverageOf(matched, total)).toEqual({ class: cls, matched, total });
  });
});

describe('match job through the API', () => {
  let h: Harness;
  const put = async (cid: string, modules: object[]) => {
    const created = await h
      .mgmt('systems')
      .post('targets', [{ controllerId: cid, securityToken: `t-${cid}` }]);
    if (created.status !== 201 && created.status !== 409) throw new Error(created.text);
    const r = await h.gateway(cid, `TargetToken t-${cid}`).put('/systemReport', report(cid, modules));
    expect(r.status, r.text).toBe(204);
  };
  const matched = async (recipeId: number) =>
    (await h.mgmt('reader').get(`recipes/${recipeId}/matchedSystems?limit=500`)).json.content.map(
      (s: { controllerId: string }) => s.controllerId,
    );
  const recipe = async (body: object) => {
    const r = await h.mgmt('systems').post('recipes', [body]);
    expect(r.json[0].validity, JSON.stringify(r.json[0].validationResult)).toBe('VALID');
    return r.json[0].id as number;
  };

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('every module needs exactly one definition; unreachable modules never match', async () => {
    await put('m-ok', [mod('m-ok', 'gw'), mod('SN-1', '4711', { hwVersion: '1.7' })]);
    await put('m-extra', [
      mod('m-extra', 'gw'),
      mod('SN-2', '4711', { hwVersion: '1.7' }),
      mod('SN-3', '9999'),
    ]);
    await put('m-unreach', [
      mod('m-unreach', 'gw'),
      mod('SN-4', '4711', { hwVersion: '1.7' }, 'unreachable'),
    ]);
    const id = await recipe(
      noImageRecipe('basic', '1', [
        ['gateway', 'attributes.module-id==gw', 'count==1'],
        ['brake', 'attributes.module-id==4711;attributes.hwVersion=in=(1.7,1.8)', 'count=ge=1'],
      ]),
    );
    expect(await matched(id)).toEqual(['m-ok']);
    const ambiguous = await recipe(
      noImageRecipe('ambiguous', '1', [
        ['gateway', 'attributes.module-id==gw', 'count==1'],
        ['brake', 'attributes.module-id==4711', 'count=ge=0'],
        ['brake-17', 'attributes.hwVersion==1.7', 'count=ge=0'],
      ]),
    );
    expect(await matched(ambiguous)).toEqual([]);
  });

  it('count operators: ==, <, <=, >=, >', async () => {
    for (const n of [0, 1, 2, 3])
      await put(`c${n}`, [
        mod(`c${n}`, 'gw'),
        ...Array.from({ length: n }, (_, i) => mod(`c${n}-d${i}`, 'disp')),
      ]);
    const cases: [string, string[]][] = [
      ['count==1', ['c1']],
      ['count=lt=2', ['c0', 'c1']],
      ['count<2', ['c0', 'c1']],
      ['count=le=2', ['c0', 'c1', 'c2']],
      ['count=ge=0', ['c0', 'c1', 'c2', 'c3']],
      ['count>=2', ['c2', 'c3']],
      ['count=gt=0', ['c1', 'c2', 'c3']],
      ['count>2', ['c3']],
    ];
    for (const [count, expected] of cases) {
      const id = await recipe(
        noImageRecipe(`count ${count}`, '1', [
          ['gateway', 'attributes.module-id==gw', 'count==1'],
          ['display', 'attributes.module-id==disp', count],
        ]),
      );
      expect(
        (await matched(id)).filter((c: string) => /^c\d$/.test(c)),
        count,
      ).toEqual(expected);
    }
  });

  it('version properties compare in natural order, others as plain strings', async () => {
    await put('v19', [mod('v19', 'gw', { swVersion: '1.9', tag: 'b9' })]);
    await put('v110', [mod('v110', 'gw', { swVersion: '1.10', tag: 'b10' })]);
    await put('v0110', [mod('v0110', 'gw', { swVersion: '01.10', tag: 'b010' })]);
    const natural = await recipe(
      noImageRecipe('natural', '1', [
        ['gw', 'attributes.module-id==gw;attributes.swVersion>1.9', 'count==1'],
      ]),
    );
    expect((await matched(natural)).filter((c: string) => c.startsWith('v'))).toEqual(['v0110', 'v110']);
    const equal = await recipe(
      noImageRecipe('natural-eq', '1', [
        ['gw', 'attributes.module-id==gw;attributes.swVersion==1.10', 'count==1'],
      ]),
    );
    expect((await matched(equal)).filter((c: string) => c.startsWith('v'))).toEqual(['v0110', 'v110']);
    const plain = await recipe(
      noImageRecipe('plain', '1', [['gw', 'attributes.module-id==gw;attributes.tag>b9', 'count==1']]),
    );
    expect((await matched(plain)).filter((c: string) => c.startsWith('v'))).toEqual([]);
  });

  it('coverage counts known systems: 1..5 of 5 at the class boundaries', async () => {
    const h2 = await startHarness();
    try {
      for (let i = 1; i <= 5; i++) {
        await h2.mgmt('systems').post('targets', [{ controllerId: `k${i}`, securityToken: `t${i}` }]);
        await h2
          .gateway(`k${i}`, `TargetToken t${i}`)
          .put('/systemReport', report(`k${i}`, [mod(`k${i}`, 'gw', { site: `s${i}` })]));
      }
      await h2.mgmt('systems').post('targets', [{ controllerId: 'silent', securityToken: 'x' }]);
      const expected = ['VERY_LOW', 'LOW', 'MEDIUM', 'HIGH', 'VERY_HIGH'];
      for (let k = 1; k <= 5; k++) {
        const sites = Array.from({ length: k }, (_, i) => `s${i + 1}`).join(',');
        const r = await h2
          .mgmt('systems')
          .post('recipes', [
            noImageRecipe(`cov${k}`, '1', [
              ['gw', `attributes.module-id==gw;attributes.site=in=(${sites})`, 'count==1'],
            ]),
          ]);
        expect(r.json[0].coverage).toEqual({ class: expected[k - 1], matched: k, total: 5 });
      }
      const none = await h2
        .mgmt('systems')
        .post('recipes', [noImageRecipe('none', '1', [['gw', 'attributes.module-id==zz', 'count==1']])]);
      expect(none.json[0].coverage).toEqual({ class: 'NONE', matched: 0, total: 5 });
    } finally {
      await h2.stop();
    }
  });

  it('candidates per scope: RC for testing systems only; newest published wins; matchedReleaseCandidateRecipe', async () => {
    const h3 = await startHarness();
    try {
      for (const cid of ['prod', 'test']) {
        await h3.mgmt('systems').post('targets', [{ controllerId: cid, securityToken: `t-${cid}` }]);
        await h3.gateway(cid, `TargetToken t-${cid}`).put('/systemReport', report(cid, [mod(cid, 'gw')]));
      }
      await h3.mgmt('systems').put('systems/test', { scope: 'testing' });
      const def: [string, string, string][] = [['gw', 'attributes.module-id==gw', 'count==1']];
      const r1 = (await h3.mgmt('systems').post('recipes', [noImageRecipe('fleet', '1', def)])).json[0].id;
      await toReleased(h3, r1, signer);
      const r2 = (await h3.mgmt('systems').post('recipes', [noImageRecipe('fleet', '2', def)])).json[0].id;
      await toReleaseCandidate(h3, r2, signer);
      const prod = (await h3.mgmt('reader').get('systems/prod')).json;
      const test = (await h3.mgmt('reader').get('systems/test')).json;
      expect(prod.matchedRecipe.id).toBe(r1);
      expect(prod.matchedReleaseCandidateRecipe.id).toBe(r2);
      expect(test.matchedRecipe.id).toBe(r2);
      // the RC file is not served to a production gateway
      expect((await h3.gateway('prod', 'TargetToken t-prod').get(`/recipes/${r2}/file`)).status).toBe(404);
      expect((await h3.gateway('test', 'TargetToken t-test').get(`/recipes/${r2}/file`)).status).toBe(200);
      // release the newer one: production follows
      await h3.mgmt('systems').post(`recipes/${r2}/release`);
      await h3.mgmt('approver').post(`recipes/${r2}/approve`);
      expect((await h3.mgmt('reader').get('systems/prod')).json.matchedRecipe.id).toBe(r2);
      // deactivate r2: INACTIVE stays a candidate
      await h3.mgmt('systems').post(`recipes/${r2}/deactivate`);
      expect((await h3.mgmt('reader').get('systems/prod')).json.matchedRecipe.id).toBe(r2);
      // revoke r2: never a candidate
      await h3.mgmt('systems').post(`recipes/${r2}/revoke`);
      expect((await h3.mgmt('reader').get('systems/prod')).json.matchedRecipe.id).toBe(r1);
    } finally {
      await h3.stop();
    }
  });
});
