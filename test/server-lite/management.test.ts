/**
 * Management API: entities of 003 (sizes, mandatory fields, audit fields), soft/hard delete, lists with
 * q/sort/offset/limit, roles (401/403), recipe validation (positions), content frozen outside DRAFT,
 * bad input that leaves nothing half-written.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayRecipe, type Harness, makeSet, startHarness } from './harness.js';

describe('management API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });

  describe('authentication and roles', () => {
    it('401 without or with wrong credentials, as JSON with an errorCode', async () => {
      const none = await h.mgmt(null).get('softwaremodules');
      expect(none.status).toBe(401);
      expect(none.json).toEqual({ errorCode: 'soup.auth.unauthorized', message: expect.any(String) });
      const wrong = await h
        .mgmt(null)
        .get('softwaremodules', { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` });
      expect(wrong.status).toBe(401);
    });

    it('403 for a valid user without the role; every role may read', async () => {
      const cases: [
        string,
        'reader' | 'modules' | 'systems' | 'approver',
        () => Promise<{ status: number }>,
        number,
      ][] = [
        [
          'READ creates a module',
          'reader',
          () => h.mgmt('reader').post('softwaremodules', [{ name: 'x', version: '1', type: 'firmware' }]),
          403,
        ],
        [
          'SYSTEM_RESPONSIBLE creates a module',
          'systems',
          () => h.mgmt('systems').post('softwaremodules', [{ name: 'x', version: '1', type: 'firmware' }]),
          403,
        ],
        [
          'MODULE_RESPONSIBLE creates a recipe',
          'modules',
          () => h.mgmt('modules').post('recipes', [{ name: 'r', version: '1' }]),
          403,
        ],
        [
          'APPROVER creates a target',
          'approver',
          () => h.mgmt('approver').post('targets', [{ controllerId: 'x' }]),
          403,
        ],
        [
          'MODULE_RESPONSIBLE sets tenant config',
          'modules',
          () => h.mgmt('modules').put('tenant/configs/pollingSleep', { value: '00:01:00' }),
          403,
        ],
        ['APPROVER reads', 'approver', () => h.mgmt('approver').get('recipes'), 200],
        ['MODULE_RESPONSIBLE reads systems', 'modules', () => h.mgmt('modules').get('systems'), 200],
      ];
      for (const [what, , call, status] of cases) expect((await call()).status, what).toBe(status);
    });
  });

  describe('entities', () => {
    it('a software module carries vendor, type and the common audit fields', async () => {
      const r = await h
        .mgmt('modules')
        .post('softwaremodules', [{ name: 'brake-fw', version: '2.1.0', type: 'firmware', vendor: 'ACME' }]);
      expect(r.status).toBe(201);
      expect(r.json[0]).toMatchObject({
        id: expect.any(Number),
        name: 'brake-fw',
        version: '2.1.0',
        type: 'firmware',
        vendor: 'ACME',
        createdBy: 'modules',
        lastModifiedBy: 'modules',
        createdAt: expect.any(Number),
        lastModifiedAt: expect.any(Number),
        _links: { self: { href: `${h.url}/rest/v1/softwaremodules/${r.json[0].id}` } },
      });
    });

    it('rejects oversize fields, missing mandatory fields and wrong types with the key path; nothing stored', async () => {
      const before = (await h.mgmt().get('softwaremodules')).json.total;
      const long = await h.mgmt('modules').post('softwaremodules', [
        { name: 'ok', version: '1', type: 'firmware' },
        { name: 'x'.repeat(65), version: '1', type: 'firmware' },
      ]);
      expect(long.status).toBe(400);
      expect(long.json.errorCode).toBe('soup.request.invalid');
      expect(long.json.message).toMatch(/\[1\]\.name must NOT have more than 64 characters/);
      const vendor = await h
        .mgmt('modules')
        .post('softwaremodules', [{ name: 'v', version: '1', type: 'firmware', vendor: 'v'.repeat(257) }]);
      expect(vendor.json.message).toMatch(/\[0\]\.vendor/);
      const missing = await h.mgmt('modules').post('softwaremodules', [{ name: 'n', type: 'firmware' }]);
      expect(missing.json.message).toMatch(/must have required property 'version'/);
      const types = await h
        .mgmt('modules')
        .post('softwaremodules', [{ name: 1, version: '1', type: 'firmware' }]);
      expect(types.status).toBe(400);
      const unknownType = await h.mgmt('modules').post('softwaremodules', [
        { name: 'first', version: '1', type: 'firmware' },
        { name: 'second', version: '1', type: 'no-such-type' },
      ]);
      expect(unknownType.status).toBe(400);
      expect(unknownType.json.message).toMatch(/\[1\]\.type/);
      expect((await h.mgmt().get('softwaremodules')).json.total).toBe(before);
    });

    it('malformed JSON is 400, an oversize body 413, an unknown id 404', async () => {
      const bad = await h
        .mgmt('modules')
        .raw('POST', 'softwaremodules', '[{"name": ', { 'content-type': 'application/json' });
      expect(bad.status).toBe(400);
      expect(bad.json.errorCode).toBe('soup.request.malformedJson');
      expect(bad.json.message).toBe('malformed JSON body at byte 10: unexpected end of input');
      // the message names the offset and never quotes the body (line breaks, control bytes)
      const control = await h
        .mgmt('modules')
        .raw('POST', 'softwaremodules', '\n\u0000', { 'content-type': 'application/json' });
      expect(control.json.message).toBe('malformed JSON body at byte 1: unexpected byte 0x00');
      // a path parameter echoed in a message stays on one line
      const newline = await h.mgmt().get('softwaremodules/a%0Ab');
      expect(newline.status).toBe(404);
      expect(newline.json.message).toContain('a\\x0ab');
      const huge = await h
        .mgmt('modules')
        .raw(
          'POST',
          'softwaremodules',
          JSON.stringify([{ name: 'x', version: '1', type: 'firmware', description: 'd'.repeat(2_000_000) }]),
          {
            'content-type': 'application/json',
          },
        );
      expect(huge.status).toBe(413);
      expect((await h.mgmt().get('softwaremodules/999999')).status).toBe(404);
      expect((await h.mgmt().get('softwaremodules/abc')).json.errorCode).toBe('soup.softwaremodule.notFound');
    });

    it('artifact names with a path are refused; uploads with a wrong declared hash too', async () => {
      const [m] = (
        await h.mgmt('modules').post('softwaremodules', [{ name: 'pt', version: '1', type: 'firmware' }])
      ).json;
      for (const name of ['../../etc/passwd', 'a/b', 'a\\b', '..']) {
        const r = await h
          .mgmt('modules')
          .raw('POST', `softwaremodules/${m.id}/artifacts?filename=${encodeURIComponent(name)}`, 'x', {
            'content-type': 'application/octet-stream',
          });
        expect(r.status, name).toBe(400);
        expect(r.json.errorCode).toBe('soup.artifact.invalidFilename');
      }
      const form = new FormData();
      form.append('md5sum', '0'.repeat(32));
      form.append('file', new Blob([Buffer.from('hello')]), 'hello.txt');
      const res = await fetch(`${h.url}/rest/v1/softwaremodules/${m.id}/artifacts`, {
        method: 'POST',
        body: form,
        headers: { authorization: `Basic ${Buffer.from('modules:modules-pw').toString('base64')}` },
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { errorCode: string }).errorCode).toBe('soup.artifact.hashMismatch');
      expect((await h.mgmt().get(`softwaremodules/${m.id}/artifacts`)).json).toEqual([]);
    });

    it('multipart upload with a file part', async () => {
      const [m] = (
        await h.mgmt('modules').post('softwaremodules', [{ name: 'mp', version: '1', type: 'firmware' }])
      ).json;
      const form = new FormData();
      form.append('file', new Blob([Buffer.from('multipart bytes')]), 'mp.bin');
      const res = await fetch(`${h.url}/rest/v1/softwaremodules/${m.id}/artifacts`, {
        method: 'POST',
        body: form,
        headers: { authorization: `Basic ${Buffer.from('modules:modules-pw').toString('base64')}` },
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({ filename: 'mp.bin', size: 15 });
    });

    it('lists take q, sort, offset, limit', async () => {
      await h.mgmt('modules').post('softwaremodules', [
        { name: 'list-a', version: '3', type: 'application' },
        { name: 'list-b', version: '1', type: 'application' },
        { name: 'list-c', version: '2', type: 'application' },
      ]);
      const r = await h
        .mgmt()
        .get('softwaremodules?q=name==list-*;type==application&sort=version:DESC&offset=1&limit=1');
      expect(r.json).toMatchObject({ size: 1, total: 3 });
      expect(r.json.content[0].name).toBe('list-c');
      const or = await h.mgmt().get('softwaremodules?q=name==list-a,name==list-b&sort=name:ASC');
      expect(or.json.content.map((m: { name: string }) => m.name)).toEqual(['list-a', 'list-b']);
      const bad = await h.mgmt().get('softwaremodules?q=name=~x');
      expect(bad.status).toBe(400);
      expect(bad.json).toMatchObject({ errorCode: 'soup.request.invalidQuery', position: 4 });
    });

    it('distribution sets: complete per type; module types checked; maxAssignments', async () => {
      const sm = (
        await h.mgmt('modules').post('softwaremodules', [
          { name: 'os-a', version: '1', type: 'firmware' },
          { name: 'os-b', version: '1', type: 'firmware' },
          { name: 'notes', version: '1', type: 'releasenotes' },
        ])
      ).json;
      const empty = (await h.mgmt('modules').post('distributionsets', [{ name: 'empty', version: '1' }]))
        .json[0];
      expect(empty).toMatchObject({ complete: false, type: 'firmware' });
      const two = await h
        .mgmt('modules')
        .post('distributionsets', [
          { name: 'two', version: '1', modules: [{ id: sm[0].id }, { id: sm[1].id }] },
        ]);
      expect(two.status).toBe(400);
      expect(two.json.errorCode).toBe('soup.distributionset.maxAssignments');
      const wrong = await h
        .mgmt('modules')
        .post('distributionsets', [{ name: 'w', version: '1', modules: [{ id: sm[2].id }] }]);
      expect(wrong.json.errorCode).toBe('soup.distributionset.unsupportedModuleType');
      const type = await h.mgmt('modules').post('distributionsettypes', [
        {
          key: 'os-with-notes',
          name: 'OS + notes',
          mandatoryModuleTypes: [{ key: 'firmware' }],
          optionalModuleTypes: [{ key: 'releasenotes' }],
        },
      ]);
      expect(type.status).toBe(201);
      const ds = (
        await h
          .mgmt('modules')
          .post('distributionsets', [
            { name: 'n', version: '1', type: 'os-with-notes', modules: [{ id: sm[2].id }] },
          ])
      ).json[0];
      expect(ds.complete).toBe(false);
      expect(
        (await h.mgmt('modules').post(`distributionsets/${ds.id}/assignedSM`, [{ id: sm[0].id }])).status,
      ).toBe(200);
      expect((await h.mgmt().get(`distributionsets/${ds.id}`)).json.complete).toBe(true);
    });

    it('software module delete: hard when in no set (bytes gone), soft when in a set (hidden, metadata kept)', async () => {
      const free = await makeSet(h, 'del-free', '1', Buffer.from('free'));
      // a module never put in a set
      const [loose] = (
        await h.mgmt('modules').post('softwaremodules', [{ name: 'loose', version: '1', type: 'firmware' }])
      ).json;
      const up = await h
        .mgmt('modules')
        .raw('POST', `softwaremodules/${loose.id}/artifacts?filename=l.bin`, 'loose', {
          'content-type': 'application/octet-stream',
        });
      const bytesPath = join(h.dir, 'data', 'artifacts', String(up.json.id));
      expect(existsSync(bytesPath)).toBe(true);
      expect((await h.mgmt('modules').del(`softwaremodules/${loose.id}`)).status).toBe(204);
      expect(existsSync(bytesPath)).toBe(false);
      const row = h.server.app.db.prepare('SELECT * FROM software_modules WHERE id = ?').get(loose.id);
      expect(row).toBeUndefined();

      await h.mgmt('modules').post(`softwaremodules/${free.moduleId}/metadata`, [{ key: 'k', value: 'v' }]);
      expect((await h.mgmt('modules').del(`softwaremodules/${free.moduleId}`)).status).toBe(204);
      expect((await h.mgmt().get(`softwaremodules/${free.moduleId}`)).status).toBe(404);
      const soft = h.server.app.db
        .prepare('SELECT deleted FROM software_modules WHERE id = ?')
        .get(free.moduleId) as { deleted: number };
      expect(soft.deleted).toBe(1);
      expect(
        h.server.app.db.prepare('SELECT * FROM sm_metadata WHERE module_id = ?').all(free.moduleId),
      ).toHaveLength(1);
      expect(existsSync(join(h.dir, 'data', 'artifacts', String(free.artifactId)))).toBe(false);
      const list = (await h.mgmt().get('softwaremodules?limit=500')).json.content.map(
        (m: { id: number }) => m.id,
      );
      expect(list).not.toContain(free.moduleId);
    });
  });

  describe('types', () => {
    it.each([
      ['softwaremoduletypes', 'softwaremoduletype', 'softwaremodules', { name: 'm', version: '1' }],
      [
        'distributionsettypes',
        'distributionsettype',
        'distributionsets',
        { name: 'd', version: '1', modules: [] },
      ],
    ] as const)(
      '%s: get, 404, update, delete hard when unused and soft when used',
      async (resource, entity, usedBy, use) => {
        const m = h.mgmt('modules');
        const [unused, used] = (
          await m.post(resource, [
            { key: `${entity}-unused`, name: 'unused' },
            { key: `${entity}-used`, name: 'used' },
          ])
        ).json;
        expect((await h.mgmt().get(`${resource}/${unused.id}`)).json).toMatchObject({
          key: `${entity}-unused`,
        });
        const missing = await h.mgmt().get(`${resource}/999999`);
        expect(missing.status).toBe(404);
        expect(missing.json.errorCode).toBe(`soup.${entity}.notFound`);
        const renamed = await m.put(`${resource}/${unused.id}`, { name: 'renamed', colour: '#00ff00' });
        expect(renamed.status).toBe(200);
        expect(renamed.json).toMatchObject({
          key: `${entity}-unused`,
          name: 'renamed',
          colour: '#00ff00',
          deleted: false,
        });
        expect((await m.post(usedBy, [{ ...use, type: `${entity}-used` }])).status).toBe(201);

        expect((await m.del(`${resource}/${unused.id}`)).status).toBe(204);
        expect((await h.mgmt().get(`${resource}/${unused.id}`)).status).toBe(404);
        expect((await m.del(`${resource}/${used.id}`)).status).toBe(204);
        expect((await h.mgmt().get(`${resource}/${used.id}`)).json).toMatchObject({ deleted: true });
        const listed = (await h.mgmt().get(`${resource}?limit=100`)).json.content as { id: number }[];
        expect(listed.map((t) => t.id)).not.toContain(used.id);
      },
    );
  });

  describe('recipes', () => {
    it('a body of the wrong shape is 400 and stores nothing', async () => {
      const before = (await h.mgmt().get('recipes')).json.total;
      expect((await h.mgmt('systems').post('recipes', [{ version: '1' }])).status).toBe(400);
      expect((await h.mgmt('systems').post('recipes', [{ name: 'r', version: 1 }])).status).toBe(400);
      expect((await h.mgmt('systems').post('recipes', { name: 'not an array' })).status).toBe(400);
      expect((await h.mgmt().get('recipes')).json.total).toBe(before);
    });

    it('faulty queries and references are stored INVALID with field and position', async () => {
      const { setId } = await makeSet(h, 'val', '1', Buffer.from('v'));
      const incomplete = (await h.mgmt('modules').post('distributionsets', [{ name: 'inc', version: '1' }]))
        .json[0];
      const r = await h.mgmt('systems').post('recipes', [
        {
          name: 'bad',
          version: '1',
          modules: [
            {
              name: 'a',
              match: 'attributes.module-id==4711 or attributes.x==1',
              count: 'count==1',
              distributionSetId: setId,
              metadata: { imageType: 'raw' },
            },
            { name: 'b', match: 'attributes.module-id==5', count: 'count=like=1' },
            { name: 'c', match: 'attributes.module-id==6', count: 'count==1', distributionSetId: 999999 },
            {
              name: 'd',
              match: 'attributes.module-id==7',
              count: 'count==1',
              distributionSetId: incomplete.id,
            },
            { name: 'e', match: 'attributes.module-id==8', count: 'count==1', distributionSetId: setId },
          ],
        },
      ]);
      expect(r.status).toBe(201);
      const rec = r.json[0];
      expect(rec.validity).toBe('INVALID');
      const by = (field: string) => rec.validationResult.filter((i: { field: string }) => i.field === field);
      expect(by('modules[0].match')[0]).toMatchObject({ severity: 'error', position: 27 });
      expect(by('modules[1].count')[0]).toMatchObject({ severity: 'error', position: expect.any(Number) });
      expect(by('modules[2].distributionSetId')[0].message).toMatch(/does not exist/);
      expect(by('modules[3].distributionSetId')[0].message).toMatch(/not complete/);
      expect(by('modules[4].metadata.imageType')[0].message).toMatch(/imageType is required/);
      const promote = await h.mgmt('systems').post(`recipes/${rec.id}/promote`);
      expect(promote.status).toBe(409);
      expect(promote.json).toMatchObject({ errorCode: 'soup.recipe.notValid', validity: 'INVALID' });
    });

    it('metadata rules and the total file size rule of the tenant', async () => {
      await h.mgmt('admin').put('tenant/configs/soup.validation.metadata', {
        value: {
          recipeRules: [{ metaDataKey: 'ticket', mandatory: true, valueValidationRegex: 'JIRA-\\d+' }],
        },
      });
      await h
        .mgmt('admin')
        .put('tenant/configs/soup.validation.totalFileSize', { value: { maxBytes: 10, excludeTypes: [] } });
      const { setId } = await makeSet(h, 'size', '1', Buffer.alloc(100, 1));
      const missing = (await h.mgmt('systems').post('recipes', [gatewayRecipe('rules', '1', setId)])).json[0];
      expect(missing.validity).toBe('INVALID');
      expect(missing.validationResult).toContainEqual(
        expect.objectContaining({ field: 'metadata.ticket', severity: 'error' }),
      );
      expect(missing.validationResult).toContainEqual(
        expect.objectContaining({ field: 'totalFileSize', severity: 'warning' }),
      );
      const wrong = (await h.mgmt('systems').put(`recipes/${missing.id}`, { metadata: { ticket: 'nope' } }))
        .json;
      expect(wrong.validationResult[0].message).toMatch(/does not match/);
      const ok = (await h.mgmt('systems').put(`recipes/${missing.id}`, { metadata: { ticket: 'JIRA-12' } }))
        .json;
      expect(ok.validity).toBe('VALID');
      expect(ok.validationResult).toEqual([expect.objectContaining({ severity: 'warning' })]);
      await h.mgmt('admin').del('tenant/configs/soup.validation.metadata');
      await h.mgmt('admin').del('tenant/configs/soup.validation.totalFileSize');
    });

    it('content is frozen outside DRAFT (tags stay editable); transitions out of order are 409 naming the allowed ones', async () => {
      const { setId } = await makeSet(h, 'frozen', '1', Buffer.from('f'));
      const rec = (await h.mgmt('systems').post('recipes', [gatewayRecipe('frozen', '1', setId)])).json[0];
      const out = await h.mgmt('systems').post(`recipes/${rec.id}/release`);
      expect(out.status).toBe(409);
      expect(out.json).toMatchObject({
        errorCode: 'soup.recipe.invalidTransition',
        lifecycle: 'DRAFT',
        allowed: ['promote'],
      });
      expect(out.json.message).toMatch(/allowed: promote/);
      expect((await h.mgmt('systems').post(`recipes/${rec.id}/promote`)).status).toBe(200);
      const edit = await h.mgmt('systems').put(`recipes/${rec.id}`, { description: 'changed' });
      expect(edit.status).toBe(409);
      expect(edit.json.errorCode).toBe('soup.recipe.notEditable');
      const tags = await h.mgmt('systems').put(`recipes/${rec.id}`, { tags: ['q4'] });
      expect(tags.status).toBe(200);
      expect(tags.json.tags).toEqual(['q4']);
      const approve = await h.mgmt('approver').post(`recipes/${rec.id}/approve`);
      expect(approve.json).toMatchObject({ lifecycle: 'WAITING_FOR_SIGNATURE', allowed: ['demote'] });
      expect((await h.mgmt('systems').post(`recipes/${rec.id}/approve`)).status).toBe(403);
      const del = await h.mgmt('admin').del(`recipes/${rec.id}`);
      expect(del.status).toBe(409);
      const demoted = await h.mgmt('systems').post(`recipes/${rec.id}/demote`);
      expect(demoted.json).toMatchObject({ lifecycle: 'DRAFT', published: null });
      expect((await h.mgmt().get(`recipes/${rec.id}/file`)).status).toBe(409);
      expect((await h.mgmt('systems').del(`recipes/${rec.id}`)).status).toBe(403);
      expect((await h.mgmt('admin').del(`recipes/${rec.id}`)).status).toBe(204);
    });

    it('a signature upload in DRAFT is 409; a malformed one in WAITING_FOR_SIGNATURE is 400', async () => {
      const { setId } = await makeSet(h, 'sig', '1', Buffer.from('s'));
      const rec = (await h.mgmt('systems').post('recipes', [gatewayRecipe('sig', '1', setId)])).json[0];
      const draft = await h
        .mgmt('systems')
        .post(`recipes/${rec.id}/signatures`, { format: 'jws', value: 'a..b' });
      expect(draft.status).toBe(409);
      await h.mgmt('systems').post(`recipes/${rec.id}/promote`);
      const bad = await h
        .mgmt('systems')
        .post(`recipes/${rec.id}/signatures`, { format: 'jws', value: 'not-a-jws' });
      expect(bad.status).toBe(400);
      const none = Buffer.from(JSON.stringify({ alg: 'none', kid: 'k' })).toString('base64url');
      const alg = await h
        .mgmt('systems')
        .post(`recipes/${rec.id}/signatures`, { format: 'jws', value: `${none}..` });
      expect(alg.status).toBe(400);
      expect((await h.mgmt().get(`recipes/${rec.id}`)).json.lifecycle).toBe('WAITING_FOR_SIGNATURE');
    });
  });

  describe('tenant configuration', () => {
    it('reads defaults, validates values, hides the gateway token from non-admins', async () => {
      const all = (await h.mgmt('reader').get('tenant/configs')).json;
      expect(all['soup.action.handling']).toEqual({
        value: { download: 'forced', update: 'forced' },
        global: true,
      });
      expect((await h.mgmt('admin').put('tenant/configs/pollingSleep', { value: 'soon' })).status).toBe(400);
      expect((await h.mgmt('admin').put('tenant/configs/no.such.key', { value: 1 })).status).toBe(404);
      expect((await h.mgmt('admin').put('tenant/configs/gatewayToken', { value: 'secret-gw' })).status).toBe(
        200,
      );
      expect((await h.mgmt('reader').get('tenant/configs/gatewayToken')).json.value).toBe('[redacted]');
      expect((await h.mgmt('admin').get('tenant/configs/gatewayToken')).json.value).toBe('secret-gw');
    });
  });
});

describe('tags', () => {
  it('distribution set and target tags: CRUD and assignment', async () => {
    const h = await startHarness();
    try {
      const { setId } = await makeSet(h, 'tagged', '1', Buffer.from('t'));
      const tag = (
        await h.mgmt('modules').post('distributionsettags', [{ name: 'stable', colour: '#00ff00' }])
      ).json[0];
      expect(tag).toMatchObject({ name: 'stable', colour: '#00ff00', createdBy: 'modules' });
      expect((await h.mgmt('modules').post('distributionsettags', [{ name: 'stable' }])).status).toBe(409);
      expect(
        (await h.mgmt('modules').post(`distributionsettags/${tag.id}/assigned`, [{ id: setId }])).status,
      ).toBe(200);
      expect(
        (await h.mgmt('modules').post(`distributionsettags/${tag.id}/assigned`, [{ id: 424242 }])).status,
      ).toBe(404);
      expect((await h.mgmt().get(`distributionsettags/${tag.id}/assigned`)).json.content).toEqual([
        { id: setId },
      ]);
      await h.mgmt('systems').post('targets', [{ controllerId: 'tg' }]);
      const ttag = (await h.mgmt('systems').post('targettags', [{ name: 'lab' }])).json[0];
      expect((await h.mgmt('modules').post('targettags', [{ name: 'x' }])).status).toBe(403);
      await h.mgmt('systems').post(`targettags/${ttag.id}/assigned`, [{ id: 'tg' }]);
      expect((await h.mgmt().get(`targettags/${ttag.id}/assigned`)).json.content).toEqual([
        { controllerId: 'tg' },
      ]);
      expect((await h.mgmt('systems').del(`targettags/${ttag.id}/assigned/tg`)).status).toBe(204);
      expect(
        (await h.mgmt('systems').put(`targettags/${ttag.id}`, { description: 'the lab' })).json.description,
      ).toBe('the lab');
      expect((await h.mgmt('systems').del(`targettags/${ttag.id}`)).status).toBe(204);
      expect((await h.mgmt().get(`targettags/${ttag.id}`)).status).toBe(404);
    } finally {
      await h.stop();
    }
  });
});

describe('artifact size limit', () => {
  it('an upload over artifactLimit is 413, leaves no bytes and no row (raw and multipart)', async () => {
    const h = await startHarness({ artifactLimit: 1000 });
    try {
      const [m] = (
        await h.mgmt('modules').post('softwaremodules', [{ name: 'big', version: '1', type: 'firmware' }])
      ).json;
      const raw = await h
        .mgmt('modules')
        .raw('POST', `softwaremodules/${m.id}/artifacts?filename=big.bin`, Buffer.alloc(2000), {
          'content-type': 'application/octet-stream',
        });
      expect(raw.status).toBe(413);
      expect(raw.json.errorCode).toBe('soup.artifact.tooLarge');
      const form = new FormData();
      form.append('file', new Blob([Buffer.alloc(5000)]), 'big.bin');
      const res = await fetch(`${h.url}/rest/v1/softwaremodules/${m.id}/artifacts`, {
        method: 'POST',
        body: form,
        headers: { authorization: `Basic ${Buffer.from('modules:modules-pw').toString('base64')}` },
      });
      expect(res.status).toBe(413);
      await res.arrayBuffer();
      expect((await h.mgmt().get(`softwaremodules/${m.id}/artifacts`)).json).toEqual([]);
      const { readdirSync } = await import('node:fs');
      expect(readdirSync(join(h.dir, 'data', 'tmp'))).toEqual([]);
      expect(readdirSync(join(h.dir, 'data', 'artifacts'))).toEqual([]);
    } finally {
      await h.stop();
    }
  });
});
