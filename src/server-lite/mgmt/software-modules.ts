/**
 * `softwaremodules`: CRUD, metadata (`targetVisible`), artifacts. Delete follows 003: a module assigned
 * to a distribution set is soft deleted (hidden, artifact bytes removed, metadata kept); one that is not
 * is hard deleted. A module in a set of a recipe outside DRAFT/REVOKED cannot be deleted (409).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathSegment } from '../../lib/path-segment.js';
import { type Ctx, mgmtUrl } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { contentOf, setsOf } from '../domain/recipe-store.js';
import { readJson } from '../http/body.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import { page } from '../http/page.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import { del, get, post, put, type Route } from '../http/route.js';
import { checkShape, pathId, S } from '../http/shape.js';
import { moduleArtifacts } from '../store/artifacts.js';
import { moduleInAnySet } from '../store/distribution-sets.js';
import { contentsExcept } from '../store/recipes.js';
import {
  deleteModule,
  deleteModuleMeta,
  findModule,
  insertModule,
  insertModuleMeta,
  listModules,
  moduleExists,
  moduleMetadata,
  moduleMetaExists,
  type SmMetaRow,
  type SmRow,
  setsOfModule,
  softDeleteModule,
  touchModule,
  updateModule,
  updateModuleMeta,
} from '../store/software-modules.js';
import { auditOf } from './audit.js';
import { findSmType, type SmTypeRow } from './software-module-types.js';

export type { SmRow } from '../store/software-modules.js';

export function loadModule(ctx: Ctx, raw = ctx.params.id): SmRow {
  const id = pathId(raw);
  const row = id === null ? undefined : findModule(ctx.app.db, id);
  if (!row) throw notFound('softwaremodule.notFound', `software module ${raw} does not exist`);
  return row;
}

export function moduleJson(ctx: Ctx, r: SmRow) {
  const type = findSmType(ctx, r.type_id) as SmTypeRow;
  return {
    id: r.id,
    name: r.name,
    version: r.version,
    type: type.key,
    typeName: type.name,
    description: r.description ?? '',
    vendor: r.vendor ?? '',
    deleted: r.deleted === 1,
    ...auditOf(r),
    _links: {
      self: { href: mgmtUrl(ctx, `softwaremodules/${r.id}`) },
      type: { href: mgmtUrl(ctx, `softwaremoduletypes/${r.type_id}`) },
      artifacts: { href: mgmtUrl(ctx, `softwaremodules/${r.id}/artifacts`) },
      metadata: { href: mgmtUrl(ctx, `softwaremodules/${r.id}/metadata?offset=0&limit=50`) },
    },
  };
}

const CREATE = S.arrayOf(
  {
    type: 'object',
    properties: {
      name: S.name,
      version: S.version,
      type: S.key,
      description: S.description,
      vendor: S.str(256),
    },
    required: ['name', 'version', 'type'],
  },
  1,
);
const UPDATE = S.object({ name: S.name, version: S.version, description: S.description, vendor: S.str(256) });
const META_KEY = S.str(128, 1);
const META_VALUE = S.str(4000);
const META_CREATE = S.arrayOf(
  {
    type: 'object',
    properties: { key: META_KEY, value: META_VALUE, targetVisible: S.bool },
    required: ['key', 'value'],
  },
  1,
);
const META_UPDATE = S.object({ value: META_VALUE, targetVisible: S.bool }, ['value']);

const metaJson = (m: SmMetaRow) => ({ key: m.key, value: m.value, targetVisible: m.target_visible === 1 });

/** Recipes outside DRAFT and REVOKED that reference a set holding this module. */
function activeRecipeUse(ctx: Ctx, moduleId: number): number {
  const sets = setsOfModule(ctx.app.db, moduleId);
  if (sets.length === 0) return 0;
  return contentsExcept(ctx.app.db, ['DRAFT', 'REVOKED']).filter((content) =>
    setsOf(contentOf({ content })).some((id) => sets.includes(id)),
  ).length;
}

function touch(ctx: Ctx, id: number, who: string): void {
  touchModule(ctx.app.db, id, who, ctx.app.clock.now());
}

export const softwareModuleRoutes: Route[] = [
  get('/rest/v1/softwaremodules', (ctx) => {
    requireRole(ctx, 'READ');
    const rows = listModules(ctx.app.db);
    sendJson(
      ctx.res,
      200,
      page(
        rows.map((r) => moduleJson(ctx, r)),
        ctx.query,
      ),
    );
  }),
  get('/rest/v1/softwaremodules/:id', (ctx) => {
    requireRole(ctx, 'READ');
    sendJson(ctx.res, 200, moduleJson(ctx, loadModule(ctx)));
  }),
  post('/rest/v1/softwaremodules', async (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    type In = { name: string; version: string; type: string; description?: string; vendor?: string };
    const body = checkShape<In[]>(CREATE, await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    const { db, clock } = ctx.app;
    const ids = db.transaction(() =>
      body.map((m, i) => {
        const type = findSmType(ctx, m.type);
        if (!type || type.deleted)
          throw badRequest(
            'softwaremodule.unknownType',
            `[${i}].type: software module type ${m.type} does not exist`,
          );
        if (moduleExists(db, m.name, m.version, type.id))
          throw conflict(
            'softwaremodule.exists',
            `[${i}]: software module ${m.name} ${m.version} (${m.type}) exists`,
          );
        return insertModule(
          db,
          {
            name: m.name,
            version: m.version,
            description: m.description ?? null,
            vendor: m.vendor ?? null,
            typeId: type.id,
          },
          user.name,
          clock.now(),
        );
      }),
    )();
    sendJson(
      ctx.res,
      201,
      ids.map((id) => moduleJson(ctx, findModule(db, id) as SmRow)),
    );
  }),
  put('/rest/v1/softwaremodules/:id', async (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = loadModule(ctx);
    type In = { name?: string; version?: string; description?: string; vendor?: string };
    const b = checkShape<In>(UPDATE, await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    updateModule(
      ctx.app.db,
      row.id,
      {
        name: b.name ?? row.name,
        version: b.version ?? row.version,
        description: b.description ?? row.description,
        vendor: b.vendor ?? row.vendor,
      },
      user.name,
      ctx.app.clock.now(),
    );
    sendJson(ctx.res, 200, moduleJson(ctx, findModule(ctx.app.db, row.id) as SmRow));
  }),
  del('/rest/v1/softwaremodules/:id', (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = loadModule(ctx);
    const { db } = ctx.app;
    if (activeRecipeUse(ctx, row.id) > 0)
      throw conflict(
        'softwaremodule.inUse',
        `software module ${row.id} is in a distribution set of an active recipe`,
      );
    const artifacts = moduleArtifacts(db, row.id).map((a) => a.id);
    const inSet = moduleInAnySet(db, row.id);
    db.transaction(() => {
      if (inSet) softDeleteModule(db, row.id, user.name, ctx.app.clock.now());
      else deleteModule(db, row.id);
    })();
    for (const id of artifacts)
      rmSync(join(ctx.app.artifactDir, pathSegment(String(id), 'artifact id')), { force: true });
    sendEmpty(ctx.res, 204);
  }),
  get('/rest/v1/softwaremodules/:id/metadata', (ctx) => {
    requireRole(ctx, 'READ');
    const row = loadModule(ctx);
    sendJson(ctx.res, 200, page(moduleMetadata(ctx.app.db, row.id).map(metaJson), ctx.query));
  }),
  get('/rest/v1/softwaremodules/:id/metadata/:key', (ctx) => {
    requireRole(ctx, 'READ');
    const row = loadModule(ctx);
    const m = moduleMetadata(ctx.app.db, row.id).find((x) => x.key === ctx.params.key);
    if (!m)
      throw notFound('metadata.notFound', `software module ${row.id} has no metadata ${ctx.params.key}`);
    sendJson(ctx.res, 200, metaJson(m));
  }),
  post('/rest/v1/softwaremodules/:id/metadata', async (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = loadModule(ctx);
    type In = { key: string; value: string; targetVisible?: boolean };
    const body = checkShape<In[]>(META_CREATE, await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    const { db } = ctx.app;
    db.transaction(() => {
      for (const [i, m] of body.entries()) {
        if (moduleMetaExists(db, row.id, m.key))
          throw conflict('metadata.exists', `[${i}].key: metadata ${m.key} exists`);
        insertModuleMeta(db, row.id, { key: m.key, value: m.value, target_visible: m.targetVisible ? 1 : 0 });
      }
      touch(ctx, row.id, user.name);
    })();
    const all = moduleMetadata(ctx.app.db, row.id);
    sendJson(
      ctx.res,
      201,
      body.map((m) => metaJson(all.find((x) => x.key === m.key) as SmMetaRow)),
    );
  }),
  put('/rest/v1/softwaremodules/:id/metadata/:key', async (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = loadModule(ctx);
    const b = checkShape<{ value: string; targetVisible?: boolean }>(
      META_UPDATE,
      await readJson(ctx.req, ctx.app.config.jsonBodyLimit),
    );
    const existing = moduleMetadata(ctx.app.db, row.id).find((x) => x.key === ctx.params.key);
    if (!existing)
      throw notFound('metadata.notFound', `software module ${row.id} has no metadata ${ctx.params.key}`);
    updateModuleMeta(ctx.app.db, row.id, {
      key: existing.key,
      value: b.value,
      target_visible: (b.targetVisible ?? existing.target_visible === 1) ? 1 : 0,
    });
    touch(ctx, row.id, user.name);
    sendJson(
      ctx.res,
      200,
      metaJson(moduleMetadata(ctx.app.db, row.id).find((x) => x.key === existing.key) as SmMetaRow),
    );
  }),
  del('/rest/v1/softwaremodules/:id/metadata/:key', (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = loadModule(ctx);
    if (!deleteModuleMeta(ctx.app.db, row.id, ctx.params.key ?? ''))
      throw notFound('metadata.notFound', `software module ${row.id} has no metadata ${ctx.params.key}`);
    touch(ctx, row.id, user.name);
    sendEmpty(ctx.res, 204);
  }),
];
