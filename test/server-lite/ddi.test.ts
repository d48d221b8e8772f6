/**
 * Plain hawkBit DDI against server-lite, the way a stock client (suricatta, rauc-hawkbit-updater) uses it:
 * poll → deploymentBase (shapes of hawkBit's documented examples) → artifact download with Range,
 * If-Range, 416, HEAD, ETag = quoted SHA-1, .MD5SUM → feedback (legacy `id`/`time` fields) → closed.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, makeSet, md5, sha1, sha256, startHarness } from './harness.js';

const FIXTURES = new URL('../fixtures/hawkbit-ddi/', import.meta.url);
const CID = 'stock-client-1';
const TOKEN = 'stock-token';
const BYTES = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
}

/** Same keys, recursively (values differ: ids, hashes, hrefs); array elements merged into one shape. */
function shapeOf(v: unknown): unknown {
  if (Array.isArray(v)) {
    if (v.length === 0) return [];
    const objects = v.filter((x) => x !== null && typeof x === 'object' && !Array.isArray(x));
    return [shapeOf(objects.length === v.length ? Object.assign({}, ...objects) : v[0])];
  }
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, shapeOf(x)]),
    );
  return typeof v;
}

describe('plain DDI deployment for a stock hawkBit client', () => {
  let h: Harness;
  let setId: number;
  let moduleId: number;
  let actionId: string;
  const gw = () => h.gateway(CID, `TargetToken ${TOKEN}`);
  const artifactPath = () => `/softwaremodules/${moduleId}/artifacts/app.bin`;

  beforeAll(async () => {
    h = await startHarness();
    await h.mgmt('systems').post('targets', [{ controllerId: CID, securityToken: TOKEN }]);
    ({ setId, moduleId } = await makeSet(h, 'app', '1.0.75', BYTES, 'app.bin'));
    await h.mgmt('modules').post(`softwaremodules/${moduleId}/metadata`, [
      { key: 'aMetadataKey', value: 'visible to the target', targetVisible: true },
      { key: 'hidden', value: 'not for the target' },
    ]);
  });
  afterAll(async () => {
    await h.stop();
  });

  it('assigning a distribution set creates an action; a second one while it is open is 409', async () => {
    const r = await h.mgmt('systems').post(`distributionsets/${setId}/assignedTargets`, [{ id: CID }]);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ assigned: 1, total: 1 });
    actionId = String(r.json.assignedActions[0].id);
    const again = await h.mgmt('systems').post(`distributionsets/${setId}/assignedTargets`, [{ id: CID }]);
    expect(again.status).toBe(409);
    expect(again.json.errorCode).toBe('soup.target.actionOpen');
  });

  it('the root poll carries deploymentBase with hawkBit link names', async () => {
    const root = await gw().get('');
    expect(root.status).toBe(200);
    expect(root.json.config.polling.sleep).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(root.json._links.deploymentBase.href).toMatch(
      new RegExp(`^${h.url}/DEFAULT/controller/v1/${CID}/deploymentBase/${actionId}\\?c=-?\\d+$`),
    );
    expect(root.json._links.configData.href).toBe(`${h.url}/DEFAULT/controller/v1/${CID}/configData`);
  });

  it('deploymentBase has the shape of hawkBit’s documented example', async () => {
    const d = await gw().get(`/deploymentBase/${actionId}?actionHistory=2`);
    expect(d.status).toBe(200);
    const expected = fixture('ddi-deploymentBase.json') as { deployment: Record<string, unknown> };
    delete expected.deployment.maintenanceWindow;
    const { actionHistory, ...rest } = d.json;
    const { actionHistory: _history, ...expectedRest } = expected as Record<string, unknown>;
    expect(shapeOf(rest)).toEqual(shapeOf(expectedRest));
    const chunk = d.json.deployment.chunks[0];
    expect(chunk).toMatchObject({ part: 'firmware', version: '1.0.75', name: 'app' });
    expect(chunk.metadata).toEqual([{ key: 'aMetadataKey', value: 'visible to the target' }]);
    const art = chunk.artifacts[0];
    expect(art).toMatchObject({
      filename: 'app.bin',
      size: BYTES.length,
      hashes: { sha1: sha1(BYTES), md5: md5(BYTES), sha256: sha256(BYTES) },
    });
    expect(shapeOf(art)).toEqual(shapeOf(fixture('ddi-artifact.json')));
    expect(art._links.download.href).toBe(`${h.url}/DEFAULT/controller/v1/${CID}${artifactPath()}`);
    expect(art._links['md5sum-http'].href).toBe(
      `${h.url}/DEFAULT/controller/v1/${CID}${artifactPath()}.MD5SUM`,
    );
    expect(actionHistory).toEqual({ status: 'RUNNING', messages: [] });
  });

  it('accepts hawkBit’s documented feedback, and the legacy id/time fields, with 200', async () => {
    const doc = await gw().post(
      `/deploymentBase/${actionId}/feedback`,
      fixture('ddi-feedback-download.json'),
    );
    expect(doc.status).toBe(200);
    const legacy = await gw().post(`/deploymentBase/${actionId}/feedback`, {
      id: actionId,
      time: '20261122T100000',
      status: {
        execution: 'proceeding',
        result: { finished: 'none', progress: { cnt: 1, of: 3 } },
        details: ['downloading'],
      },
    });
    expect(legacy.status).toBe(200);
    const cfg = await gw().put('/configData', fixture('ddi-configData-put.json'));
    expect(cfg.status).toBe(200);
    const attrs = await h.mgmt('reader').get(`targets/${CID}/attributes`);
    expect(attrs.json).toEqual({ VIN: 'JH4TB2H26CC000000', hwRevision: '2' });
  });

  it('serves artifact bytes: full, Range, suffix Range, If-Range, 416, HEAD, If-Match, MD5SUM', async () => {
    const full = await gw().get(artifactPath());
    expect(full.status).toBe(200);
    expect(full.bytes.equals(BYTES)).toBe(true);
    expect(full.headers.etag).toBe(`"${sha1(BYTES)}"`);
    expect(full.headers['accept-ranges']).toBe('bytes');

    const part = await gw().get(artifactPath(), { range: 'bytes=100-' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-${BYTES.length - 1}/${BYTES.length}`);
    expect(part.bytes.equals(BYTES.subarray(100))).toBe(true);

    const suffix = await gw().get(artifactPath(), { range: 'bytes=-10' });
    expect(suffix.status).toBe(206);
    expect(suffix.bytes.equals(BYTES.subarray(BYTES.length - 10))).toBe(true);

    const stale = await gw().get(artifactPath(), { range: 'bytes=100-199', 'if-range': '"another-etag"' });
    expect(stale.status).toBe(200);
    expect(stale.bytes.length).toBe(BYTES.length);
    const fresh = await gw().get(artifactPath(), { range: 'bytes=100-199', 'if-range': `"${sha1(BYTES)}"` });
    expect(fresh.status).toBe(206);
    expect(fresh.bytes.equals(BYTES.subarray(100, 200))).toBe(true);

    const beyond = await gw().get(artifactPath(), { range: `bytes=${BYTES.length}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${BYTES.length}`);

    const head = await gw().head(artifactPath());
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(BYTES.length));
    expect(head.bytes.length).toBe(0);

    const mismatch = await gw().get(artifactPath(), { 'if-match': '"nope"' });
    expect(mismatch.status).toBe(412);

    const sum = await gw().get(`${artifactPath()}.MD5SUM`);
    expect(sum.status).toBe(200);
    expect(sum.text).toBe(`${md5(BYTES)}  app.bin`);

    const list = await gw().get(`/softwaremodules/${moduleId}/artifacts`);
    expect(list.json.map((a: { filename: string }) => a.filename)).toEqual(['app.bin']);
  });

  it('another controller cannot read this controller’s action or artifacts', async () => {
    await h.mgmt('systems').post('targets', [{ controllerId: 'other', securityToken: 'other-token' }]);
    const other = h.gateway('other', 'TargetToken other-token');
    expect((await other.get(`/deploymentBase/${actionId}`)).status).toBe(404);
    expect((await other.get(artifactPath())).status).toBe(404);
    expect(
      (await other.post(`/deploymentBase/${actionId}/feedback`, fixture('ddi-feedback-download.json')))
        .status,
    ).toBe(404);
  });

  it('closed + success finishes the action; installedBase appears; later feedback is 410', async () => {
    const closed = await gw().post(`/deploymentBase/${actionId}/feedback`, {
      status: { execution: 'closed', result: { finished: 'success' } },
    });
    expect(closed.status).toBe(200);
    const root = await gw().get('');
    expect(root.json._links.deploymentBase).toBeUndefined();
    expect(root.json._links.installedBase.href).toBe(
      `${h.url}/DEFAULT/controller/v1/${CID}/installedBase/${actionId}`,
    );
    const installed = await gw().get(`/installedBase/${actionId}`);
    expect(installed.status).toBe(200);
    expect(installed.json.deployment.chunks[0].version).toBe('1.0.75');
    const late = await gw().post(
      `/deploymentBase/${actionId}/feedback`,
      fixture('ddi-feedback-download.json'),
    );
    expect(late.status).toBe(410);
    const actions = await h.mgmt('reader').get(`targets/${CID}/actions`);
    expect(actions.json.content[0]).toMatchObject({
      kind: 'deployment',
      distributionSetId: setId,
      status: 'finished',
      result: 'success',
    });
    expect(actions.json.content[0].feedback).toHaveLength(3);
    expect((await h.mgmt('reader').get(`targets/${CID}`)).json.updateStatus).toBe('in_sync');
  });

  it('cancel protocol: a cancelled action shows cancelAction; closed feedback on it cancels it', async () => {
    const r = await h.mgmt('systems').post(`distributionsets/${setId}/assignedTargets`, [{ id: CID }]);
    const id = String(r.json.assignedActions[0].id);
    expect((await h.mgmt('systems').del(`targets/${CID}/actions/${id}`)).status).toBe(204);
    const root = await gw().get('');
    expect(root.json._links.cancelAction.href).toBe(
      `${h.url}/DEFAULT/controller/v1/${CID}/cancelAction/${id}`,
    );
    expect((await gw().get(`/deploymentBase/${id}`)).status).toBe(404);
    const cancel = await gw().get(`/cancelAction/${id}`);
    expect(cancel.json).toEqual({ id, cancelAction: { stopId: id } });
    const fb = await gw().post(`/cancelAction/${id}/feedback`, {
      status: { execution: 'closed', result: { finished: 'success' } },
    });
    expect(fb.status).toBe(200);
    const action = await h.mgmt('reader').get(`targets/${CID}/actions/${id}`);
    expect(action.json.status).toBe('canceled');
    expect((await gw().get('')).json._links.cancelAction).toBeUndefined();
  });

  it('confirmationBase and auto-confirm', async () => {
    const c = await gw().get('/confirmationBase');
    expect(shapeOf({ autoConfirm: c.json.autoConfirm })).toEqual(shapeOf({ autoConfirm: { active: false } }));
    expect(c.json._links.activateAutoConfirm).toBeDefined();
    expect((await gw().post('/confirmationBase/activateAutoConfirm', { initiator: 'me' })).status).toBe(200);
    expect((await gw().get('/confirmationBase')).json.autoConfirm.active).toBe(true);
  });
});
