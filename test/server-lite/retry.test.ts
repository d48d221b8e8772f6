/**
 * `POST systems/{controllerId}/retry` and `matchReasons` over real HTTP: a recipe that failed (or was
 * rejected) on a gateway is not offered again while its report stays the same; after the operator fixed
 * the gateway, a retry opens it once (a second failure blocks again); a retry that cannot open an action
 * is 409 naming why; `matchReasons` names, per candidate recipe, what does not match.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mod, noImageRecipe, report, toReleased } from './flows.js';
import { type Harness, startHarness } from './harness.js';
import { testSigner } from './signer.js';

const signer = testSigner('oem');

describe('retry and match reasons', () => {
  let h: Harness;
  const CID = 'retry-gw';
  const gw = (cid = CID) => h.gateway(cid, `TargetToken ${cid}-token`);
  const openUpdate = async (cid = CID): Promise<string | undefined> => {
    const root = await gw(cid).get('');
    return (root.json._links.systemUpdate?.href as string | undefined)?.split('/').pop();
  };
  const close = (actionId: string, execution: 'closed' | 'rejected', feedbackId: string) =>
    gw().post(`/systemUpdate/${actionId}/feedback`, {
      feedbackId,
      timestamp: 1795341723000,
      status: {
        execution,
        result: { finished: execution === 'rejected' ? 'none' : 'failure' },
        details: ['trust store unreadable'],
      },
    });
  let recipeId: number;

  beforeAll(async () => {
    h = await startHarness();
    await h.mgmt('systems').post('targets', [
      { controllerId: CID, securityToken: `${CID}-token` },
      { controllerId: 'odd-gw', securityToken: 'odd-gw-token' },
      { controllerId: 'silent-gw', securityToken: 'silent-gw-token' },
    ]);
    expect(
      (await gw().put('/systemReport', report(CID, [mod(CID, 'gw', { swVersion: '1.0' })]))).status,
    ).toBe(204);
    const created = await h.mgmt('systems').post('recipes', [
      noImageRecipe('fleet', '1', [
        ['gw', 'attributes.module-id==gw', 'count==1'],
        ['ecu', 'attributes.module-id==ecu', 'count=ge=1'],
      ]),
    ]);
    recipeId = created.json[0].id;
    await h
      .mgmt('systems')
      .post('recipes', [noImageRecipe('fleet', '0', [['gw', 'attributes.module-id==gw', 'count==1']])]);
  });
  afterAll(async () => {
    await h.stop();
  });

  it('matchReasons name the definition counts and the modules no definition takes', async () => {
    expect(
      (await gw('odd-gw').put('/systemReport', report('odd-gw', [mod('odd-gw', 'gw'), mod('x1', 'plc')])))
        .status,
    ).toBe(204);
    await toReleased(h, recipeId, signer);
    const odd = (await h.mgmt('reader').get('systems/odd-gw')).json;
    expect(odd.matchedRecipe).toBeNull();
    expect(odd.matchReasons).toEqual([
      `recipe fleet 1 (${recipeId}): unmatched module x1; count of ecu is 0, needs {"$gte":1}`,
    ]);
    expect((await h.mgmt('reader').get('systems/silent-gw')).json.matchReasons).toEqual([
      'no system report was received: no recipe can match',
    ]);
    const refused = await h.mgmt('systems').post('systems/odd-gw/retry');
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({
      errorCode: 'soup.system.notRetryable',
      reason: 'no recipe matches the system',
    });
    const list = (await h.mgmt('reader').get('systems?q=controllerId==odd-gw')).json.content;
    expect(list[0].matchReasons).toBeUndefined();
  });

  it('a failed recipe stays closed while the report is unchanged; retry opens it once', async () => {
    await gw().put('/systemReport', report(CID, [mod(CID, 'gw', { swVersion: '1.0' }), mod('e1', 'ecu')]));
    const mine = (await h.mgmt('reader').get(`systems/${CID}`)).json;
    expect(mine.matchedRecipe.id).toBe(recipeId);
    expect(mine.matchReasons).toEqual([]);
    expect(mine._links.retry).toBeUndefined();
    const a1 = (await openUpdate()) as string;
    expect(a1).toBeDefined();
    const busy = await h.mgmt('systems').post(`systems/${CID}/retry`);
    expect(busy.status).toBe(409);
    expect(busy.json.reason).toBe(`action ${a1} is open`);

    expect((await close(a1, 'rejected', 'r1')).status).toBe(200);
    expect(await openUpdate()).toBeUndefined();
    await gw().put('/systemReport', report(CID, [mod(CID, 'gw', { swVersion: '1.0' }), mod('e1', 'ecu')]));
    expect(await openUpdate()).toBeUndefined();
    const blocked = (await h.mgmt('reader').get(`systems/${CID}`)).json;
    expect(blocked.updateStatus).toBe('error');
    expect(blocked._links.retry.href).toMatch(new RegExp(`/rest/v1/systems/${CID}/retry$`));

    expect((await h.mgmt('reader').post(`systems/${CID}/retry`)).status).toBe(403);
    expect((await h.mgmt(null).post(`systems/${CID}/retry`)).status).toBe(401);
    const retried = await h.mgmt('systems').post(`systems/${CID}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.json).toMatchObject({ kind: 'systemUpdate', recipeId, status: 'open' });
    const a2 = await openUpdate();
    expect(a2).toBe(String(retried.json.id));
    expect(a2).not.toBe(a1);

    // once: the retried action fails too → blocked again until the next retry
    expect((await close(a2 as string, 'closed', 'f2')).status).toBe(200);
    expect(await openUpdate()).toBeUndefined();
    const again = await h.mgmt('systems').post(`systems/${CID}/retry`);
    expect(again.status).toBe(202);
    const a3 = (await openUpdate()) as string;
    expect(a3).toBe(String(again.json.id));

    await gw().post(`/systemUpdate/${a3}/feedback`, {
      feedbackId: 's3',
      status: { execution: 'closed', result: { finished: 'success' } },
    });
    expect((await h.mgmt('reader').get(`systems/${CID}`)).json.installedRecipe.id).toBe(recipeId);
    const done = await h.mgmt('systems').post(`systems/${CID}/retry`);
    expect(done.status).toBe(409);
    expect(done.json.reason).toMatch(/installed recipe fleet 1 .* is not older than the matched one/);
    const history = (await h.mgmt('reader').get(`systems/${CID}/actions`)).json.content;
    expect(history.map((a: { result: string | null }) => a.result)).toEqual([
      'success',
      'failure',
      'failure',
    ]);
  });

  it('an unknown system is 404', async () => {
    expect((await h.mgmt('systems').post('systems/nobody/retry')).status).toBe(404);
  });
});

describe('schema migration', () => {
  it('a database of the first schema version gains retry_floor and keeps its targets', async () => {
    const h = await startHarness();
    try {
      await h.mgmt('systems').post('targets', [{ controllerId: 'old-gw', securityToken: 'old-token' }]);
      await h.server.close();
      const db = new Database(join(h.dir, 'data', 'server-lite.db'));
      db.exec('ALTER TABLE targets DROP COLUMN retry_floor');
      db.pragma('user_version = 1');
      db.close();
      await h.restart();
      const db2 = new Database(join(h.dir, 'data', 'server-lite.db'), { readonly: true });
      expect(db2.pragma('user_version', { simple: true })).toBe(2);
      db2.close();
      expect((await h.mgmt('reader').get('systems/old-gw')).json.controllerId).toBe('old-gw');
      const refused = await h.mgmt('systems').post('systems/old-gw/retry');
      expect(refused.status).toBe(409);
      expect(refused.json.reason).toBe('no system report was received');
    } finally {
      await h.stop();
    }
  });
});
