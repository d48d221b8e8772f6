/**
 * The action opening rule and the cancel protocol: newer than installed, failed recipes blocked until the
 * system report changes (no loops), no accidental downgrades, moving off a REVOKED recipe, revoke cancels
 * an open action, plain deployments block system updates, offline feedback, signers → 422.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mod, noImageRecipe, report, toReleaseCandidate, toReleased } from './flows.js';
import { type Harness, makeSet, startHarness } from './harness.js';
import { testSigner } from './signer.js';

const signer = testSigner('oem');
const GW_DEF: [string, string, string][] = [['gw', 'attributes.module-id==gw', 'count==1']];

describe('system update actions', () => {
  let h: Harness;
  const CID = 'act-gw';
  const gw = () => h.gateway(CID, 'TargetToken act-token');
  const send = (modules: object[]) => gw().put('/systemReport', report(CID, modules));
  const openUpdate = async (): Promise<string | undefined> => {
    const root = await gw().get('');
    return (root.json._links.systemUpdate?.href as string | undefined)?.split('/').pop();
  };
  const finish = (actionId: string, finished: 'success' | 'failure', feedbackId: string) =>
    gw().post(`/systemUpdate/${actionId}/feedback`, {
      feedbackId,
      timestamp: 1795341723000,
      status: { execution: 'closed', result: { finished } },
    });
  const released = async (version: string, defs = GW_DEF) => {
    const id = (await h.mgmt('systems').post('recipes', [noImageRecipe('fleet', version, defs)])).json[0]
      .id as number;
    await toReleased(h, id, signer);
    return id;
  };
  const recipeOf = async (actionId: string) =>
    Number((await gw().get(`/systemUpdate/${actionId}`)).json.recipe.id);

  beforeAll(async () => {
    h = await startHarness();
    await h.mgmt('systems').post('targets', [{ controllerId: CID, securityToken: 'act-token' }]);
  });
  afterAll(async () => {
    await h.stop();
  });

  it('a failed recipe is not offered again until the system report changes', async () => {
    expect((await send([mod(CID, 'gw', { swVersion: '1.0' })])).status).toBe(204);
    const r1 = await released('1');
    const a1 = await openUpdate();
    expect(a1).toBeDefined();
    expect(await recipeOf(a1 as string)).toBe(r1);
    expect((await finish(a1 as string, 'failure', 'f1')).status).toBe(200);
    expect((await h.mgmt('reader').get(`systems/${CID}`)).json.updateStatus).toBe('error');
    expect(await openUpdate()).toBeUndefined();
    await send([mod(CID, 'gw', { swVersion: '1.0' })]);
    expect(await openUpdate()).toBeUndefined();
    await send([mod(CID, 'gw', { swVersion: '1.0', note: 'changed' })]);
    const a2 = await openUpdate();
    expect(a2).toBeDefined();
    expect(a2).not.toBe(a1);
    expect(await recipeOf(a2 as string)).toBe(r1);
    await finish(a2 as string, 'success', 'f2');
    expect((await h.mgmt('reader').get(`systems/${CID}`)).json.installedRecipe.id).toBe(r1);
    await send([mod(CID, 'gw', { swVersion: '1.1' })]);
    expect(await openUpdate()).toBeUndefined();
  });

  it('a newer recipe opens an action; an older one never does (no downgrade)', async () => {
    const r2 = await released('2', [
      ['gw', 'attributes.module-id==gw;attributes.arch=out=(arm)', 'count==1'],
    ]);
    const a = await openUpdate();
    expect(await recipeOf(a as string)).toBe(r2);
    await finish(a as string, 'success', 'f3');
    // r2 stops matching (the report changes); the older r1 still matches: no downgrade
    await h.mgmt('systems').put(`recipes/${r2}`, { tags: ['q4'] });
    await send([mod(CID, 'gw', { swVersion: '2.0', arch: 'arm' })]);
    const sys = (await h.mgmt('reader').get(`systems/${CID}`)).json;
    expect(sys.installedRecipe.id).toBe(r2);
    expect(sys.matchedRecipe.id).not.toBe(r2);
    expect(sys.matchedRecipe.version).toBe('1');
    expect(await openUpdate()).toBeUndefined();
  });

  it('moving off a REVOKED installed recipe: the older matching one is offered', async () => {
    const sys = (await h.mgmt('reader').get(`systems/${CID}`)).json;
    const installed = sys.installedRecipe.id as number;
    expect((await h.mgmt('systems').post(`recipes/${installed}/revoke`)).json.lifecycle).toBe('REVOKED');
    const a = await openUpdate();
    expect(a).toBeDefined();
    const offered = await recipeOf(a as string);
    expect(offered).not.toBe(installed);
    await finish(a as string, 'success', 'f4');
    expect((await h.mgmt('reader').get(`systems/${CID}`)).json.installedRecipe.id).toBe(offered);
  });

  it('revoking the recipe of an open action cancels it through the cancel protocol', async () => {
    const r = await released('3');
    const a = (await openUpdate()) as string;
    expect(await recipeOf(a)).toBe(r);
    await h.mgmt('systems').post(`recipes/${r}/revoke`);
    const root = await gw().get('');
    expect(root.json._links.systemUpdate).toBeUndefined();
    expect(root.json._links.cancelAction.href).toMatch(new RegExp(`/cancelAction/${a}$`));
    expect((await gw().get(`/systemUpdate/${a}`)).status).toBe(404);
    expect((await gw().get(`/cancelAction/${a}`)).json).toEqual({ id: a, cancelAction: { stopId: a } });
    await gw().post(`/cancelAction/${a}/feedback`, {
      status: { execution: 'closed', result: { finished: 'success' } },
    });
    const actions = (await h.mgmt('reader').get(`systems/${CID}/actions`)).json.content;
    expect(actions.find((x: { id: number }) => String(x.id) === a).status).toBe('canceled');
    expect((await finish(a, 'success', 'late')).status).toBe(410);
  });

  it('a plain deployment blocks system updates until it closes', async () => {
    const { setId } = await makeSet(h, 'plain', '1', Buffer.from('plain'));
    const dep = await h.mgmt('systems').post(`distributionsets/${setId}/assignedTargets`, [{ id: CID }]);
    expect(dep.status).toBe(200);
    const depId = String(dep.json.assignedActions[0].id);
    await released('4');
    let root = await gw().get('');
    expect(root.json._links.deploymentBase).toBeDefined();
    expect(root.json._links.systemUpdate).toBeUndefined();
    await gw().post(`/deploymentBase/${depId}/feedback`, {
      status: { execution: 'closed', result: { finished: 'success' } },
    });
    root = await gw().get('');
    expect(root.json._links.systemUpdate).toBeDefined();
  });

  it('offline feedback: idempotent, stored on closed actions without reopening them', async () => {
    const a = (await openUpdate()) as string;
    const rec = (feedbackId: string, execution: string, finished: string) => ({
      actionId: a,
      recipeId: '1',
      feedbackId,
      timestamp: 1795341723000,
      status: { execution, result: { finished } },
      offline: true,
    });
    const first = await gw().post('/offlineFeedback', {
      records: [rec('o1', 'proceeding', 'none'), rec('o2', 'closed', 'success')],
    });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ recorded: 2, duplicates: 0, history: 0 });
    const again = await gw().post('/offlineFeedback', {
      records: [rec('o1', 'proceeding', 'none'), rec('o3', 'proceeding', 'none')],
    });
    expect(again.json).toEqual({ recorded: 0, duplicates: 1, history: 1 });
    const action = (await h.mgmt('reader').get(`systems/${CID}/actions`)).json.content.find(
      (x: { id: number }) => String(x.id) === a,
    );
    expect(action).toMatchObject({ status: 'finished', result: 'success' });
    expect(
      action.feedback.map((f: { feedbackId: string; offline: boolean }) => [f.feedbackId, f.offline]),
    ).toEqual([
      ['o1', true],
      ['o2', true],
      ['o3', true],
    ]);
    const unknown = await gw().post('/offlineFeedback', {
      records: [{ ...rec('o4', 'proceeding', 'none'), actionId: '999999' }],
    });
    expect(unknown.status).toBe(404);
  });

  it('feedback of the wrong shape is 400 and records nothing', async () => {
    const r = await released('5');
    const a = (await openUpdate()) as string;
    expect(await recipeOf(a)).toBe(r);
    const bad = await gw().post(`/systemUpdate/${a}/feedback`, {
      feedbackId: 'b',
      status: { execution: 'exploded', result: { finished: 'none' } },
    });
    expect(bad.status).toBe(400);
    const closedNone = await gw().post(`/systemUpdate/${a}/feedback`, {
      feedbackId: 'c',
      status: { execution: 'closed', result: { finished: 'none' } },
    });
    expect(closedNone.status).toBe(400);
    const rejected = await gw().post(`/systemUpdate/${a}/feedback`, {
      feedbackId: 'rej',
      status: {
        execution: 'rejected',
        result: { finished: 'failure' },
        details: ['signature: no trusted key'],
      },
    });
    expect(rejected.status).toBe(200);
    const action = (await h.mgmt('reader').get(`systems/${CID}/actions`)).json.content.find(
      (x: { id: number }) => String(x.id) === a,
    );
    expect(action).toMatchObject({ status: 'finished', result: 'failure' });
    expect(action.feedback.map((f: { feedbackId: string }) => f.feedbackId)).toEqual(['rej']);
  });
});

describe('signature upload with configured signers', () => {
  it('a signature that does not verify (other key, other recipe) is 422 and not stored', async () => {
    const trusted = testSigner('trusted');
    const stranger = testSigner('trusted');
    const h = await startHarness();
    try {
      const jwks = join(h.dir, 'signers.json');
      writeFileSync(jwks, JSON.stringify(trusted.publicJwks));
      await h.restart({ signers: jwks });
      const ids: number[] = [];
      for (const v of ['1', '2']) {
        const r = await h.mgmt('systems').post('recipes', [noImageRecipe('signed', v, GW_DEF)]);
        ids.push(r.json[0].id);
        await h.mgmt('systems').post(`recipes/${r.json[0].id}/promote`);
      }
      const [a, b] = ids as [number, number];
      const fileA = (await h.mgmt().get(`recipes/${a}/file`)).bytes;
      const fileB = (await h.mgmt().get(`recipes/${b}/file`)).bytes;
      const other = await h
        .mgmt('systems')
        .post(`recipes/${a}/signatures`, { format: 'jws', value: stranger.sign(fileA) });
      expect(other.status).toBe(422);
      expect(other.json.errorCode).toBe('soup.signature.notVerified');
      const wrongRecipe = await h
        .mgmt('systems')
        .post(`recipes/${a}/signatures`, { format: 'jws', value: trusted.sign(fileB) });
      expect(wrongRecipe.status).toBe(422);
      expect((await h.mgmt().get(`recipes/${a}/signatures`)).json.signatures).toEqual([]);
      expect((await h.mgmt().get(`recipes/${a}`)).json.lifecycle).toBe('WAITING_FOR_SIGNATURE');
      const ok = await h
        .mgmt('systems')
        .post(`recipes/${a}/signatures`, { format: 'jws', value: trusted.sign(fileA) });
      expect(ok.status).toBe(201);
      expect((await h.mgmt().get(`recipes/${a}`)).json.lifecycle).toBe('RELEASE_CANDIDATE');
      const second = await h
        .mgmt('systems')
        .post(`recipes/${a}/signatures`, { format: 'jws', value: trusted.sign(fileA) });
      expect(second.status).toBe(201);
      expect((await h.mgmt().get(`recipes/${a}/signatures`)).json.signatures).toHaveLength(2);
    } finally {
      await h.stop();
    }
  });
});

describe('testing scope', () => {
  it('a testing system gets a RELEASE_CANDIDATE; demote cancels its open action', async () => {
    const h = await startHarness();
    try {
      await h.mgmt('systems').post('targets', [{ controllerId: 't1', securityToken: 'tt' }]);
      const gw = h.gateway('t1', 'TargetToken tt');
      await gw.put('/systemReport', report('t1', [mod('t1', 'gw')]));
      await h.mgmt('systems').put('systems/t1', { scope: 'testing' });
      const id = (await h.mgmt('systems').post('recipes', [noImageRecipe('rc', '1', GW_DEF)])).json[0].id;
      await toReleaseCandidate(h, id, signer);
      const href = (await gw.get('')).json._links.systemUpdate.href as string;
      const a = href.split('/').pop();
      expect((await gw.get(`/systemUpdate/${a}`)).json.recipe.lifecycle).toBe('RELEASE_CANDIDATE');
      await h.mgmt('systems').post(`recipes/${id}/demote`);
      expect((await gw.get('')).json._links.cancelAction).toBeDefined();
      expect((await gw.get(`/recipes/${id}/file`)).status).toBe(404);
    } finally {
      await h.stop();
    }
  });
});

describe('system view and isolation', () => {
  it('requestReport brings the systemReport link back; another gateway cannot see or answer an action', async () => {
    const h = await startHarness();
    try {
      await h.mgmt('systems').post('targets', [
        { controllerId: 'one', securityToken: 'one' },
        { controllerId: 'two', securityToken: 'two' },
      ]);
      const one = h.gateway('one', 'TargetToken one');
      const two = h.gateway('two', 'TargetToken two');
      await one.put('/systemReport', report('one', [mod('one', 'gw')]));
      expect((await one.get('')).json._links.systemReport).toBeUndefined();
      expect((await h.mgmt('systems').post('systems/one/requestReport')).json.reportRequested).toBe(true);
      expect((await one.get('')).json._links.systemReport).toBeDefined();
      const id = (await h.mgmt('systems').post('recipes', [noImageRecipe('iso', '1', GW_DEF)])).json[0].id;
      await toReleased(h, id, signer);
      const a = ((await one.get('')).json._links.systemUpdate.href as string).split('/').pop();
      expect((await two.get(`/systemUpdate/${a}`)).status).toBe(404);
      const fb = {
        feedbackId: 'x',
        timestamp: 1,
        status: { execution: 'closed', result: { finished: 'success' } },
      };
      expect((await two.post(`/systemUpdate/${a}/feedback`, fb)).status).toBe(404);
      expect((await h.mgmt().get('systems/one/actions')).json.content[0].status).toBe('open');
      const sys = (await h.mgmt().get('systems/one')).json;
      expect(sys).toMatchObject({
        scope: 'production',
        lastPollAt: expect.any(Number),
        lastReportAt: expect.any(Number),
      });
      expect(
        (await h.mgmt().get('systems?q=scope==production&sort=controllerId:DESC')).json.content.map(
          (s: { controllerId: string }) => s.controllerId,
        ),
      ).toEqual(['two', 'one']);
      // revoke, then an ADMIN may delete the recipe; a duplicate target in a batch stores nothing
      await one.post(`/systemUpdate/${a}/feedback`, fb);
      await h.mgmt('systems').post(`recipes/${id}/revoke`);
      expect((await h.mgmt('admin').del(`recipes/${id}`)).status).toBe(204);
      const dup = await h
        .mgmt('systems')
        .post('targets', [{ controllerId: 'three' }, { controllerId: 'one' }]);
      expect(dup.status).toBe(409);
      expect((await h.mgmt().get('targets/three')).status).toBe(404);
    } finally {
      await h.stop();
    }
  });
});
