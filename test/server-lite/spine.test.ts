/**
 * The spine of server-lite over real HTTP on 127.0.0.1 and a real SQLite file: module + artifact →
 * distribution set → recipe → VALID → promote (frozen file) → signature → RELEASE_CANDIDATE → release →
 * approve → RELEASED; a gateway polls, reports, gets a system update, downloads, reports feedback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecipeFile } from '../../src/recipe/schema.js';
import {
  gatewayRecipe,
  gatewayReport,
  type Harness,
  makeSet,
  md5,
  sha1,
  sha256,
  startHarness,
} from './harness.js';
import { testSigner } from './signer.js';

const CID = 'gw-0001';
const TOKEN = 'token-of-gw-0001';
const IMAGE = Buffer.from('gateway image 2.0.0 '.repeat(500));

describe('server-lite spine', () => {
  let h: Harness;
  let setId: number;
  let moduleId: number;
  let artifactId: number;
  let recipeId: number;
  let actionId: string;
  let fileBytes: Buffer;
  const signer = testSigner('oem-2026');
  const gw = () => h.gateway(CID, `TargetToken ${TOKEN}`);

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('registers a target; its first poll asks for a system report', async () => {
    const created = await h
      .mgmt('systems')
      .post('targets', [{ controllerId: CID, name: 'Gateway 1', securityToken: TOKEN }]);
    expect(created.status).toBe(201);
    expect(created.json[0]).toMatchObject({
      controllerId: CID,
      securityToken: TOKEN,
      updateStatus: 'unknown',
    });
    const root = await gw().get('');
    expect(root.status).toBe(200);
    expect(root.json.config.polling.sleep).toBe('00:00:30');
    expect(root.json._links.systemReport.href).toBe(`${h.url}/DEFAULT/controller/v1/${CID}/systemReport`);
    expect(root.json._links.systemUpdate).toBeUndefined();
  });

  it('has the default software module and distribution set types', async () => {
    const types = await h.mgmt('reader').get('softwaremoduletypes?limit=100');
    expect(types.json.content.map((t: { key: string }) => t.key).sort()).toEqual(
      [
        'application',
        'firmware',
        'license',
        'postinstall',
        'preinstall',
        'releasenotes',
        'shellscript',
      ].sort(),
    );
    const ds = await h.mgmt('reader').get('distributionsettypes');
    const firmware = ds.json.content.find((t: { key: string }) => t.key === 'firmware');
    expect(firmware.optionalModuleTypes.map((t: { key: string }) => t.key)).toEqual([
      'firmware',
      'application',
    ]);
  });

  it('uploads an artifact, hashing it while streaming', async () => {
    ({ setId, moduleId, artifactId } = await makeSet(h, 'gw-fw', '2.0.0', IMAGE, 'gw-2.0.0.img'));
    const a = await h.mgmt('reader').get(`softwaremodules/${moduleId}/artifacts/${artifactId}`);
    expect(a.json).toMatchObject({
      filename: 'gw-2.0.0.img',
      size: IMAGE.length,
      hashes: { md5: md5(IMAGE), sha1: sha1(IMAGE), sha256: sha256(IMAGE) },
    });
    const ds = await h.mgmt('reader').get(`distributionsets/${setId}`);
    expect(ds.json).toMatchObject({ complete: true, type: 'firmware', version: '2.0.0' });
  });

  it('creates a VALID recipe and promotes it: published set, file frozen and schema-valid', async () => {
    const created = await h.mgmt('systems').post('recipes', [gatewayRecipe('gw-fleet', '2.0.0', setId)]);
    expect(created.status).toBe(201);
    expect(created.json[0]).toMatchObject({ lifecycle: 'DRAFT', validity: 'VALID', validationResult: [] });
    recipeId = created.json[0].id;
    const promoted = await h.mgmt('systems').post(`recipes/${recipeId}/promote`);
    expect(promoted.status).toBe(200);
    expect(promoted.json.lifecycle).toBe('WAITING_FOR_SIGNATURE');
    expect(promoted.json.published).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const file = await h.mgmt('reader').get(`recipes/${recipeId}/file`);
    expect(file.status).toBe(200);
    fileBytes = file.bytes;
    expect(file.headers.etag).toBe(`"${sha256(fileBytes)}"`);
    const parsed = parseRecipeFile(fileBytes);
    expect(parsed._recipe).toMatchObject({
      id: String(recipeId),
      name: 'gw-fleet',
      published: promoted.json.published,
    });
    expect(parsed._recipe.versionProperties).toEqual(['hwVersion', 'swVersion']);
    expect(parsed.software.images?.[0]).toMatchObject({
      type: 'rawfile',
      filename: 'gw-2.0.0.img',
      version: '2.0.0',
      sha256: sha256(IMAGE),
      _module: { name: 'gateway', match: { 'module-id': 'gw' }, matchCount: { count: { $eq: 1 } } },
      _software: {
        softwareId: String(setId),
        name: 'gw-fw',
        artifacts: [
          { id: String(artifactId), type: 'firmware', byteSize: IMAGE.length, filename: 'gw-2.0.0.img' },
        ],
      },
    });
    const again = await h.mgmt('reader').get(`recipes/${recipeId}/file`);
    expect(again.bytes.equals(fileBytes)).toBe(true);
  });

  it('a signature moves it to RELEASE_CANDIDATE; release and approve make it RELEASED', async () => {
    const sig = await h
      .mgmt('systems')
      .post(`recipes/${recipeId}/signatures`, { format: 'jws', value: signer.sign(fileBytes) });
    expect(sig.status).toBe(201);
    expect(sig.json).toMatchObject({ format: 'jws' });
    expect((await h.mgmt('reader').get(`recipes/${recipeId}`)).json.lifecycle).toBe('RELEASE_CANDIDATE');
    expect((await h.mgmt('systems').post(`recipes/${recipeId}/release`)).json.lifecycle).toBe(
      'WAITING_FOR_APPROVAL',
    );
    const approved = await h.mgmt('approver').post(`recipes/${recipeId}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.json).toMatchObject({ lifecycle: 'RELEASED', approvedBy: 'approver' });
  });

  it('a system report runs the match: the system gets the recipe and a system update opens', async () => {
    const put = await gw().put('/systemReport', gatewayReport(CID, '1.0.0'));
    expect(put.status).toBe(204);
    const system = await h.mgmt('reader').get(`systems/${CID}`);
    expect(system.json).toMatchObject({
      controllerId: CID,
      scope: 'production',
      matchedRecipe: { id: recipeId, name: 'gw-fleet', version: '2.0.0' },
      installedRecipe: null,
      updateStatus: 'pending',
    });
    expect(system.json.lastReport).toEqual(gatewayReport(CID, '1.0.0'));
    const recipe = await h.mgmt('reader').get(`recipes/${recipeId}`);
    expect(recipe.json.coverage).toEqual({ class: 'VERY_HIGH', matched: 1, total: 1 });
    const root = await gw().get('');
    expect(root.json._links.systemReport).toBeUndefined();
    const href = root.json._links.systemUpdate.href as string;
    actionId = href.split('/').pop() as string;
    expect(href).toBe(`${h.url}/DEFAULT/controller/v1/${CID}/systemUpdate/${actionId}`);
  });

  it('serves the system update, the exact file bytes, signatures and artifacts', async () => {
    const su = await gw().get(`/systemUpdate/${actionId}`);
    expect(su.status).toBe(200);
    expect(su.json).toMatchObject({
      id: actionId,
      recipe: { id: String(recipeId), name: 'gw-fleet', version: '2.0.0', lifecycle: 'RELEASED' },
      handling: { download: 'forced', update: 'forced' },
    });
    const file = await fetchAbs(su.json._links.recipeFile.href);
    expect(file.status).toBe(200);
    expect(file.bytes.equals(fileBytes)).toBe(true);
    expect(file.headers.etag).toBe(`"${sha256(fileBytes)}"`);
    const sigs = await fetchAbs(su.json._links.signatures.href);
    expect(sigs.json.signatures).toEqual([
      { id: expect.any(String), format: 'jws', value: signer.sign.length ? expect.any(String) : '' },
    ]);
    const art = await gw().get(`/artifacts/${artifactId}`, { range: 'bytes=10-19' });
    expect(art.status).toBe(206);
    expect(art.headers['content-range']).toBe(`bytes 10-19/${IMAGE.length}`);
    expect(art.bytes.equals(IMAGE.subarray(10, 20))).toBe(true);
    expect(art.headers.etag).toBe(`"${sha256(IMAGE)}"`);
  });

  it('records feedback once per feedbackId; closed+success installs the recipe; 410 afterwards', async () => {
    const proceeding = {
      feedbackId: 'fb-1',
      timestamp: 1795341723000,
      status: {
        execution: 'proceeding',
        result: { finished: 'none', progress: { cnt: 7, of: 11 } },
        details: ['transferring'],
      },
      phase: 'transferring',
    };
    expect((await gw().post(`/systemUpdate/${actionId}/feedback`, proceeding)).status).toBe(200);
    expect((await gw().post(`/systemUpdate/${actionId}/feedback`, proceeding)).status).toBe(200);
    const done = {
      feedbackId: 'fb-2',
      timestamp: 1795341724000,
      status: { execution: 'closed', result: { finished: 'success' } },
      phase: 'reporting',
    };
    expect((await gw().post(`/systemUpdate/${actionId}/feedback`, done)).status).toBe(200);
    expect((await gw().post(`/systemUpdate/${actionId}/feedback`, done)).status).toBe(200);
    const late = await gw().post(`/systemUpdate/${actionId}/feedback`, { ...done, feedbackId: 'fb-3' });
    expect(late.status).toBe(410);
    expect(late.json.errorCode).toBe('soup.action.closed');
    const actions = await h.mgmt('reader').get(`systems/${CID}/actions`);
    expect(actions.json.total).toBe(1);
    expect(actions.json.content[0]).toMatchObject({
      kind: 'systemUpdate',
      recipeId,
      status: 'finished',
      result: 'success',
    });
    expect(actions.json.content[0].feedback.map((f: { feedbackId: string }) => f.feedbackId)).toEqual([
      'fb-1',
      'fb-2',
    ]);
    const system = await h.mgmt('reader').get(`systems/${CID}`);
    expect(system.json).toMatchObject({ installedRecipe: { id: recipeId }, updateStatus: 'in_sync' });
    const root = await gw().get('');
    expect(root.json._links.systemReport).toBeDefined();
    expect(root.json._links.systemUpdate).toBeUndefined();
  });

  it('the new report after the update opens no new action (no loop)', async () => {
    expect((await gw().put('/systemReport', gatewayReport(CID, '2.0.0'))).status).toBe(204);
    const root = await gw().get('');
    expect(root.json._links).toEqual({ configData: expect.any(Object) });
    expect((await h.mgmt('reader').get(`systems/${CID}/actions`)).json.total).toBe(1);
  });

  async function fetchAbs(url: string) {
    const rel = url.slice(`${h.url}/DEFAULT/controller/v1/${CID}`.length);
    return gw().get(rel);
  }
});
