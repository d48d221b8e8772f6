/**
 * The generated recipe file beyond the spine: scripts and system artifacts from system distribution sets,
 * `_noImage`, hardware compatibility, `imageFileName`, version properties from the tenant; and the
 * tenant's action handling and maintenance window on the system update.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecipeFile } from '../../src/recipe/schema.js';
import { windowState } from '../../src/server-lite/domain/maintenance-window.js';
import { mod, report, toReleased } from './flows.js';
import { type Harness, sha256, startHarness } from './harness.js';
import { testSigner } from './signer.js';

async function moduleWith(h: Harness, type: string, name: string, files: [string, string][]) {
  const m = (await h.mgmt('modules').post('softwaremodules', [{ name, version: '1', type }])).json[0];
  for (const [filename, content] of files)
    await h.mgmt('modules').raw('POST', `softwaremodules/${m.id}/artifacts?filename=${filename}`, content, {
      'content-type': 'application/octet-stream',
    });
  return m.id as number;
}

describe('recipe file generation', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('images, _noImage, scripts, _systemArtifacts and hardware-compatibility per recipe-file.md', async () => {
    await h.mgmt('admin').put('tenant/configs/soup.systemreport.version.property.names', {
      value: ['hwVersion', 'swVersion', 'SwRevision'],
    });
    const fw = await moduleWith(h, 'firmware', 'brake-fw', [
      ['brake-2.1.0.bin', 'brake image'],
      ['brake.sig', 'sig'],
    ]);
    const app = await moduleWith(h, 'application', 'brake-cfg', [['cfg.json', '{}']]);
    const pre = await moduleWith(h, 'preinstall', 'pre', [['pre.sh', '#!/bin/sh\necho pre\n']]);
    const notes = await moduleWith(h, 'releasenotes', 'notes', [['notes.md', '# notes']]);
    const set = async (body: object) =>
      (await h.mgmt('modules').post('distributionsets', [body])).json[0].id as number;
    const brakeSet = await set({ name: 'brake', version: '2.1.0', modules: [{ id: fw }, { id: app }] });
    const scripts = await set({ name: 'scripts', version: '1', type: 'scripts', modules: [{ id: pre }] });
    const system = await set({
      name: 'release-notes',
      version: '1',
      type: 'system',
      modules: [{ id: notes }],
    });
    const r = await h.mgmt('systems').post('recipes', [
      {
        name: 'gw-fleet-A',
        version: '2.1.0',
        description: 'Q4 brake + gateway update',
        modules: [
          {
            name: 'brake',
            description: 'brake ECUs',
            match: 'attributes.module-id==4711 and attributes.hwVersion=in=(1.7,1.8,2.5)',
            count: 'count=ge=1',
            distributionSetId: brakeSet,
            metadata: { imageType: 'uds-flash', imageFileName: 'brake-2.1.0.bin' },
          },
          { name: 'display', match: 'attributes.module-id==5000', count: 'count<2' },
          { name: 'gateway', match: 'attributes.module-id==gw', count: 'count==1' },
        ],
        systemDistributionSets: [scripts, system],
        metadata: { hardwareCompatibility: '1.0, 1.2' },
      },
    ]);
    expect(r.json[0].validity, JSON.stringify(r.json[0].validationResult)).toBe('VALID');
    const id = r.json[0].id;
    await h.mgmt('systems').post(`recipes/${id}/promote`);
    const f = parseRecipeFile((await h.mgmt().get(`recipes/${id}/file`)).bytes);
    expect(f._recipe.versionProperties).toEqual(['hwVersion', 'swVersion', 'SwRevision']);
    expect(f.software.version).toBe('2.1.0');
    expect(f.software['hardware-compatibility']).toEqual(['1.0', '1.2']);
    const img = f.software.images?.[0];
    expect(img?._module).toEqual({
      name: 'brake',
      description: 'brake ECUs',
      match: { $and: [{ 'module-id': '4711' }, { hwVersion: { $in: ['1.7', '1.8', '2.5'] } }] },
      matchCount: { count: { $gte: 1 } },
    });
    expect(img).toMatchObject({
      type: 'uds-flash',
      filename: 'brake-2.1.0.bin',
      version: '2.1.0',
      sha256: sha256('brake image'),
    });
    expect(img?._software.artifacts.map((a) => [a.filename, a.type])).toEqual([
      ['brake-2.1.0.bin', 'firmware'],
      ['brake.sig', 'firmware'],
      ['cfg.json', 'application'],
    ]);
    expect(f.software._noImage).toEqual([
      {
        _module: {
          name: 'display',
          description: '',
          match: { 'module-id': '5000' },
          matchCount: { count: { $lt: 2 } },
        },
      },
      {
        _module: {
          name: 'gateway',
          description: '',
          match: { 'module-id': 'gw' },
          matchCount: { count: { $eq: 1 } },
        },
      },
    ]);
    expect(f.software.scripts).toEqual([
      {
        id: expect.any(String),
        type: 'preinstall',
        byteSize: 19,
        filename: 'pre.sh',
        sha256: sha256('#!/bin/sh\necho pre\n'),
      },
    ]);
    expect(
      f.software._systemArtifacts?.map((s) => [s.softwareId, s.name, s.artifacts.map((a) => a.type)]),
    ).toEqual([
      [String(scripts), 'scripts', ['preinstall']],
      [String(system), 'release-notes', ['releasenotes']],
    ]);
  });

  it('a set with several artifacts and no imageFileName: the firmware one; two firmware ones: a validation error', async () => {
    const fw = await moduleWith(h, 'firmware', 'multi', [
      ['a.bin', 'a'],
      ['b.bin', 'b'],
    ]);
    const ds = (
      await h
        .mgmt('modules')
        .post('distributionsets', [{ name: 'multi', version: '1', modules: [{ id: fw }] }])
    ).json[0].id;
    const r = await h.mgmt('systems').post('recipes', [
      {
        name: 'multi',
        version: '1',
        modules: [
          {
            name: 'gw',
            match: 'attributes.module-id==gw',
            count: 'count==1',
            distributionSetId: ds,
            metadata: { imageType: 'raw' },
          },
        ],
      },
    ]);
    expect(r.json[0].validity).toBe('INVALID');
    expect(r.json[0].validationResult[0]).toMatchObject({ field: 'modules[0].metadata.imageFileName' });
  });
});

describe('handling and maintenance window from the tenant', () => {
  it('windowState: open within duration after a start, else the next start', () => {
    const w = { schedule: '0 0 2 ? * *', duration: '02:00:00', timezone: '+00:00' };
    const day = Date.parse('2026-11-22T00:00:00Z');
    expect(windowState(w, day + 3 * 3600_000)).toEqual({ available: true, nextStartAt: day + 2 * 3600_000 });
    expect(windowState(w, day + 5 * 3600_000)).toEqual({
      available: false,
      nextStartAt: day + 26 * 3600_000,
    });
    const plus2 = { ...w, timezone: '+02:00' };
    expect(windowState(plus2, day + 3600_000)).toEqual({ available: true, nextStartAt: day });
  });

  it('the system update carries the tenant handling and maintenance window', async () => {
    const h = await startHarness();
    try {
      await h
        .mgmt('admin')
        .put('tenant/configs/soup.action.handling', { value: { download: 'forced', update: 'attempt' } });
      await h.mgmt('admin').put('tenant/configs/soup.action.maintenanceWindow', {
        value: { schedule: '0 0 2 ? * *', duration: '02:00:00', timezone: '+00:00' },
      });
      await h.mgmt('systems').post('targets', [{ controllerId: 'mw', securityToken: 'mw' }]);
      const gw = h.gateway('mw', 'TargetToken mw');
      await gw.put('/systemReport', report('mw', [mod('mw', 'gw')]));
      const id = (
        await h.mgmt('systems').post('recipes', [
          {
            name: 'mw',
            version: '1',
            modules: [{ name: 'gw', match: 'attributes.module-id==gw', count: 'count==1' }],
          },
        ])
      ).json[0].id;
      await toReleased(h, id, testSigner('k'));
      const href = (await gw.get('')).json._links.systemUpdate.href as string;
      const su = await gw.get(`/systemUpdate/${href.split('/').pop()}`);
      expect(su.json.handling).toEqual({ download: 'forced', update: 'attempt' });
      expect(su.json.maintenanceWindow).toMatchObject({
        schedule: '0 0 2 ? * *',
        duration: '02:00:00',
        timezone: '+00:00',
      });
      expect(new Date(su.json.maintenanceWindow.nextStartAt).getUTCHours()).toBe(2);
    } finally {
      await h.stop();
    }
  });
});
