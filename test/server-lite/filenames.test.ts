/**
 * Artifact file names beyond Latin-1 over real HTTP: `Content-Disposition` carries an ASCII `filename`
 * and the exact name in RFC 8187's `filename*=UTF-8''…` on every route that serves bytes (Management
 * download, Install API recipe artifacts, DDI artifacts and their `.MD5SUM`); before, such a name made the
 * header throw (500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentDisposition } from '../../src/server-lite/http/serve-file.js';
import { toReleased } from './flows.js';
import { gatewayRecipe, gatewayReport, type Harness, makeSet, startHarness } from './harness.js';
import { testSigner } from './signer.js';

/** The name a client gets back from `filename*=UTF-8''…` (RFC 8187). */
function extendedName(header: unknown): string {
  const m = /filename\*=UTF-8''([^;]+)/.exec(String(header));
  if (!m) throw new Error(`no filename* in ${String(header)}`);
  return decodeURIComponent(m[1] as string);
}

function asciiName(header: unknown): string {
  const m = /filename="([^"]*)"/.exec(String(header));
  if (!m) throw new Error(`no filename in ${String(header)}`);
  return m[1] as string;
}

describe('Content-Disposition for any file name', () => {
  const NAME = 'прошивка v2 (€) 100%"\'*.bin';
  const bytes = Buffer.from('firmware with a name beyond Latin-1');
  let h: Harness;
  let moduleId: number;
  let artifactId: number;

  beforeAll(async () => {
    h = await startHarness();
    const set = await makeSet(h, 'intl', '1', bytes, NAME);
    moduleId = set.moduleId;
    artifactId = set.artifactId;
    await h.mgmt('systems').post('targets', [{ controllerId: 'intl-gw', securityToken: 'intl-token' }]);
    await h
      .gateway('intl-gw', 'TargetToken intl-token')
      .put('/systemReport', gatewayReport('intl-gw', '1.0'));
    const recipe = await h.mgmt('systems').post('recipes', [gatewayRecipe('intl', '1', set.setId)]);
    await toReleased(h, recipe.json[0].id, testSigner('oem'));
  });
  afterAll(async () => {
    await h.stop();
  });

  it('builds an ASCII stand-in and the exact percent-encoded name', () => {
    expect(contentDisposition('plain.bin')).toBe(
      `attachment; filename="plain.bin"; filename*=UTF-8''plain.bin`,
    );
    const header = contentDisposition(NAME);
    expect(header).toMatch(/^[\x20-\x7e]+$/);
    expect(asciiName(header)).toBe("________ v2 (_) 100__'*.bin");
    expect(extendedName(header)).toBe(NAME);
    expect(header).toContain('%27%2A.bin'); // ' and * are not attr-chars (RFC 8187)
  });

  it('Management API download', async () => {
    const res = await h.mgmt('reader').get(`softwaremodules/${moduleId}/artifacts/${artifactId}/download`);
    expect(res.status).toBe(200);
    expect(res.bytes.equals(bytes)).toBe(true);
    expect(extendedName(res.headers['content-disposition'])).toBe(NAME);
    const meta = await h.mgmt('reader').get(`softwaremodules/${moduleId}/artifacts/${artifactId}`);
    expect(meta.json.filename).toBe(NAME);
  });

  it('Install API artifacts (GET and HEAD) and DDI artifacts with their .MD5SUM', async () => {
    const gw = h.gateway('intl-gw', 'TargetToken intl-token');
    const viaRecipe = await gw.get(`/artifacts/${artifactId}`);
    expect(viaRecipe.status).toBe(200);
    expect(extendedName(viaRecipe.headers['content-disposition'])).toBe(NAME);
    const head = await gw.head(`/artifacts/${artifactId}`);
    expect(head.status).toBe(200);
    expect(extendedName(head.headers['content-disposition'])).toBe(NAME);
    const ddi = await gw.get(`/softwaremodules/${moduleId}/artifacts/${encodeURIComponent(NAME)}`);
    expect(ddi.status).toBe(200);
    expect(ddi.bytes.equals(bytes)).toBe(true);
    expect(extendedName(ddi.headers['content-disposition'])).toBe(NAME);
    const md5 = await gw.get(
      `/softwaremodules/${moduleId}/artifacts/${encodeURIComponent(`${NAME}.MD5SUM`)}`,
    );
    expect(md5.status).toBe(200);
    expect(md5.text).toMatch(/^[0-9a-f]{32} {2}/);
    expect(extendedName(md5.headers['content-disposition'])).toBe(`${NAME}.MD5SUM`);
  });
});
