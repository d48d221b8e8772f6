/**
 * `distributionsets`: CRUD, module assignment (`assignedSM`), metadata. `complete` = every mandatory
 * module type of its type present and at least one module. A set used by an action or by a recipe outside
 * DRAFT is locked (its modules cannot change) and is soft deleted (003); an unused one is hard deleted.
 */
import { type Ctx, mgmtUrl } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { contentOf, setsOf } from '../domain/recipe-store.js';
import { readJson } from '../http/body.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import { page } from '../http/page.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import { del, get, post, put, type Route } from '../http/route.js';
import { checkShape, pathId, S } from '../http/shape.js';
import { setHasAction } from '../store/actions.js';
import {
  assignModule,
  countModulesOfType,
  type DsMetaRow,
  type DsRow,
  deleteSet,
  deleteSetMeta,
  findSet,
  insertSet,
  insertSetMeta,
  listSets,
  setExists,
  setMetadata,
  setMetaExists,
  setModules,
  softDeleteSet,
  touchSet,
  unassignModule,
  updateSet,
  updateSetMeta,
} from '../store/distribution-sets.js';
import { contentsExcept } from '../store/recipes.js';
import { findModule } from '../store/software-modules.js';
import { type DsTypeRow, dsTypeModules } from '../store/types.js';
import { auditOf } from './audit.js';
import { findDsType } from './distribution-set-types.js';
import { findSmType } from './software-module-types.js';
import { moduleJson } from './software-modules.js';

export type { DsRow } from '../store/distribution-sets.js';

export function loadSet(ctx: Ctx, raw = ctx.params.id): DsRow {
  const id = pathId(raw);
  const row = id === null ? undefined : findSet(ctx.app.db, id);
  if (!row) throw notFound('distributionset.notFound', `distribution set ${raw} does not exist`);
  return row;
}

/** Every mandatory module type present and at least one module. */
export function isComplete(ctx: Ctx, ds: DsRow): boolean {
  const modules = setModules(ctx.app.db, ds.id);
  if (modules.length === 0) return false;
  const present = new Set(modules.map((m) => m.type_id));
  return dsTypeModules(ctx.app.db, ds.type_id).every((l) => l.mandatory === 0 || present.has(l.id));
}

export function setJson(ctx: Ctx, r: DsRow) {
  const type = findDsType(ctx, r.type_id) as DsTypeRow;
  return {
    id: r.id,
    name: r.name,
    version: r.version,
    description: r.description ?? '',
    type: type.key,
    typeName: type.name,
    requiredMigrationStep: r.required_migration_step === 1,
    complete: isComplete(ctx, r),
    deleted: r.deleted === 1,
    locked: isLocked(ctx, r.id),
    modules: setModules(ctx.app.db, r.id).map((m) => moduleJson(ctx, m)),
    ...auditOf(r),
    _links: {
      self: { href: mgmtUrl(ctx, `distributionsets/${r.id}`) },
      type: { href: mgmtUrl(ctx, `distributionsettypes/${r.type_id}`) },
      modules: { href: mgmtUrl(ctx, `distributionsets/${r.id}/assignedSM`) },
      metadata: { href: mgmtUrl(ctx, `distributionsets/${r.id}/metadata?offset=0&limit=50`) },
    },
  };
}

/** Used by an action or referenced by a recipe outside DRAFT. */
export function isLocked(ctx: Ctx, dsId: number): boolean {
  const { db } = ctx.app;
  if (setHasAction(db, dsId)) return true;
  return contentsExcept(db, ['DRAFT']).some((content) => setsOf(contentOf({ content })).includes(dsId));
}

const MODULE_REFS = S.arrayOf(S.object({ id: S.id }, ['id']));
const CREATE = S.arrayOf(
  {
    type: 'object',
    properties: {
      name: S.name,
      version: S.version,
      description: S.description,
      type: S.key,
      requiredMigrationStep: S.bool,
      modules: MODULE_REFS,
    },
    required: ['name', 'version'],
  },
  1,
);
const UPDATE = S.object({
  name: S.name,
  version: S.version,
  description: S.description,
  requiredMigrationStep: S.bool,
});
const META_CREATE = S.arrayOf(S.object({ key: S.str(128, 1), value: S.str(4000) }, ['key', 'value']), 1);
const META_UPDATE = S.object({ value: S.str(4000) }, ['value']);

/** Adds modules to a set, checking the type allows each module's type and its maxAssignments. */
function assignModules(ctx: Ctx, ds: DsRow, ids: number[], path: string): void {
  const { db } = ctx.app;
  const allowed = new Map(dsTypeModules(db, ds.type_id).map((l) => [l.id, l]));
  for (const [i, id] of ids.entries()) {
    const m = findModule(db, id);
    if (!m)
      throw badRequest(
        'distributionset.unknownModule',
        `${path}[${i}].id: software module ${id} does not exist`,
      );
    if (!allowed.has(m.type_id))
      throw badRequest(
        'distributionset.unsupportedModuleType',
        `${path}[${i}].id: the distribution set type does not allow software modules of type ${findSmType(ctx, m.type_id)?.key}`,
      );
    assignModule(db, ds.id, id);
    const type = findSmType(ctx, m.type_id);
    const n = countModulesOfType(db, ds.id, m.type_id);
    if (type && n > type.max_assignments)
      throw badRequest(
        'distributionset.maxAssignments',
        `${path}[${i}].id: a distribution set holds at most ${type.max_assignments} module(s) of type ${type.key}`,
      );
  }
}

function touch(ctx: Ctx, id: number, who: string): void {
  touchSet(ctx.app.db, id, who, ctx.app.clock.now());
}

export const distributionSetRoutes: Route[] = [
  get('/rest/v1/distributionsets', (ctx) => {
    requireRole(ctx, 'READ');
    const rows = listSets(ctx.app.db);
    sendJson(
      ctx.res,
      200,
      page(
        rows.map((r) => setJson(ctx, r)),
        ctx.query,
      ),
    );
  }),
  get('/rest/v1/distributionsets/:id', (ctx) => {
    requireRole(ctx, 'READ');
    sendJson(ctx.res, 200, setJson(ctx, loadSet(ctx)));
  }),
  post('/rest/v1/distributionsets', async (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    type In = {
      name: string;
      version: string;
      description?: string;
      type?: string;
      requiredMigrationStep?: boolean;
      modules?: { id: number }[];
    };
    const body = checkShape<In[]>(CREATE, await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    const { db, clock } = ctx.app;
    const ids = db.transaction(() =>
      body.map((d, i) => {
        const type = findDsType(ctx, d.type ?? 'firmware');
        if (!type || type.deleted)
          throw badRequest(
            'distributionset.unknownType',
            `[${i}].type: distribution set type ${d.type} does not exist`,
          );
        if (setExists(db, d.name, d.version))
          throw conflict('distributionset.exists', `[${i}]: distribution set ${d.name} ${d.version} exists`);
        const id = insertSet(
          db,
          {
            name: d.name,
            version: d.version,
            description: d.description ?? null,
            typeId: type.id,
            requiredMigrationStep: d.requiredMigrationStep === true,
          },
          user.name,
          clock.now(),
        );
        assignModules(
          ctx,
          findSet(db, id) as DsRow,
          (d.modules ?? []).map((m) => m.id),
          `[${i}].modules`,
        );
        return id;
      }),
    )();
    sendJson(
      ctx.res,
      201,
      ids.map((id) => setJson(ctx, findSet(db, id) as DsRow)),
    );
  }),
  put('/rest/v1/distributionsets/:id', async (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = loadSet(ctx);
    type In = { name?: string; version?: string; description?: string; requiredMigrationStep?: boolean };
    const b = checkShape<In>(UPDATE, await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    if ((b.name !== undefined || b.version !== undefined) && isLocked(ctx, row.id))
      throw conflict(
        'distributionset.locked',
        `distribution set ${row.id} is in use: name and version are fixed`,
      );
    updateSet(
      ctx.app.db,
      row.id,
      {
        name: b.name ?? row.name,
        version: b.version ?? row.version,
        description: b.description ?? row.description,
        requiredMigrationStep: b.requiredMigrationStep ?? row.required_migration_step === 1,
      },
      user.name,
      ctx.app.clock.now(),
    );
    sendJson(ctx.res, 200, setJson(ctx, findSet(ctx.app.db, row.id) as DsRow));
  }),
  del('/rest/v1/distributionsets/:id', (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = loadSet(ctx);
    const { db } = ctx.app;
    if (setHasAction(db, row.id, true))
      throw conflict('distributionset.inUse', `distribution set ${row.id} has an open action`);
    if (isLocked(ctx, row.id)) softDeleteSet(db, row.id, user.name, ctx.app.clock.now());
    else deleteSet(db, row.id);
    sendEmpty(ctx.res, 204);
  }),
  get('/rest/v1/distributionsets/:id/assignedSM', (ctx) => {
    requireRole(ctx, 'READ');
    const row = loadSet(ctx);
    sendJson(
      ctx.res,
      200,
      page(
        setModules(ctx.app.db, row.id).map((m) => moduleJson(ctx, m)),
        ctx.query,
      ),
    );
  }),
  post('/rest/v1/distributionsets/:id/assignedSM', async (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = loadSet(ctx);
    const body = checkShape<{ id: number }[]>(
      MODULE_REFS,
      await readJson(ctx.req, ctx.app.config.jsonBodyLimit),
    );
    if (isLocked(ctx, row.id))
      throw conflict('distributionset.locked', `distribution set ${row.id} is in use: its modules are fixed`);
    ctx.app.db.transaction(() => {
      assignModules(
        ctx,
        row,
        body.map((m) => m.id),
        'body',
      );
      touch(ctx, row.id, user.name);
    })();
    sendEmpty(ctx.res, 200);
  }),
  del('/rest/v1/distributionsets/:id/assignedSM/:moduleId', (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = loadSet(ctx);
    if (isLocked(ctx, row.id))
      throw conflict('distributionset.locked', `distribution set ${row.id} is in use: its modules are fixed`);
    if (!unassignModule(ctx.app.db, row.id, pathId(ctx.params.moduleId) ?? -1))
      throw notFound('softwaremodule.notFound', `software module ${ctx.params.moduleId} is not in the set`);
    touch(ctx, row.id, user.name);
    sendEmpty(ctx.res, 204);
  }),
  get('/rest/v1/distributionsets/:id/metadata', (ctx) => {
    requireRole(ctx, 'READ');
    sendJson(ctx.res, 200, page(setMetadata(ctx.app.db, loadSet(ctx).id), ctx.query));
  }),
  get('/rest/v1/distributionsets/:id/metadata/:key', (ctx) => {
    requireRole(ctx, 'READ');
    const row = loadSet(ctx);
    const m = setMetadata(ctx.app.db, row.id).find((x) => x.key === ctx.params.key);
    if (!m)
      throw notFound('metadata.notFound', `distribution set ${row.id} has no metadata ${ctx.params.key}`);
    sendJson(ctx.res, 200, m);
  }),
  post('/rest/v1/distributionsets/:id/metadata', async (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = loadSet(ctx);
    const body = checkShape<DsMetaRow[]>(META_CREATE, await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    const { db } = ctx.app;
    db.transaction(() => {
      for (const [i, m] of body.entries()) {
        if (setMetaExists(db, row.id, m.key))
          throw conflict('metadata.exists', `[${i}].key: metadata ${m.key} exists`);
        insertSetMeta(db, row.id, m);
      }
      touch(ctx, row.id, user.name);
    })();
    sendJson(
      ctx.res,
      201,
      body.map((m) => ({ key: m.key, value: m.value })),
    );
  }),
  put('/rest/v1/distributionsets/:id/metadata/:key', async (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = loadSet(ctx);
    const b = checkShape<{ value: string }>(
      META_UPDATE,
      await readJson(ctx.req, ctx.app.config.jsonBodyLimit),
    );
    if (!updateSetMeta(ctx.app.db, row.id, { key: ctx.params.key ?? '', value: b.value }))
      throw notFound('metadata.notFound', `distribution set ${row.id} has no metadata ${ctx.params.key}`);
    touch(ctx, row.id, user.name);
    sendJson(ctx.res, 200, { key: ctx.params.key, value: b.value });
  }),
  del('/rest/v1/distributionsets/:id/metadata/:key', (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = loadSet(ctx);
    if (!deleteSetMeta(ctx.app.db, row.id, ctx.params.key ?? ''))
      throw notFound('metadata.notFound', `distribution set ${row.id} has no metadata ${ctx.params.key}`);
    touch(ctx, row.id, user.name);
    sendEmpty(ctx.res, 204);
  }),
];
