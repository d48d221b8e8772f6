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
import { readJson } from '../http/body.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import { page } from '../http/fiql.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import { del, get, post, put, type Route } from '../http/route.js';
import { checkShape, pathId, S } from '../http/shape.js';
import { type AuditRow, auditOf, created } from './audit.js';
import { findSmType, type SmTypeRow } from './software-module-types.js';

export interface SmRow extends AuditRow {
  id: number;
  name: string;
  version: string;
  description: string | null;
  vendor: string | null;
  type_id: number;
  deleted: number;
}

export function findModule(ctx: Ctx, id: number, withDeleted = false): SmRow | undefined {
  return ctx.app.db
    .prepare(`SELECT * FROM software_modules WHERE id = ?${withDeleted ? '' : ' AND deleted = 0'}`)
    .get(id) as SmRow | undefined;
}

export function loadModule(ctx: Ctx, raw = ctx.params.id): SmRow {
  const id = pathId(raw);
  const row = id === null ? undefined : findModule(ctx, id);
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

interface MetaRow {
  key: string;
  value: string;
  target_visible: number;
}

const metaJson = (m: MetaRow) => ({ key: m.key, value: m.value, targetVisible: m.target_visible === 1 });

export function moduleMetadata(ctx: Ctx, moduleId: number): MetaRow[] {
  return ctx.app.db
    .prepare('SELECT * FROM sm_metadata WHERE module_id = ? ORDER BY key')
    .all(moduleId) as MetaRow[];
}

/** Recipes outside DRAFT and REVOKED that reference a set holding this module. */
function activeRecipeUse(ctx: Ctx, moduleId: number): number {
  const sets = (
    ctx.app.db.prepare('SELECT ds_id FROM ds_modules WHERE module_id = ?').all(moduleId) as {
      ds_id: number;
    }[]
  ).map((r) => r.ds_id);
  if (sets.length === 0) return 0;
  const recipes = ctx.app.db
    .prepare("SELECT content FROM recipes WHERE lifecycle NOT IN ('DRAFT', 'REVOKED')")
    .all() as { content: string }[];
  return recipes.filter((r) => {
    const c = JSON.parse(r.content) as {
      modules: { distributionSetId?: number }[];
      systemDistributionSets: number[];
    };
    const used = [...c.modules.map((m) => m.distributionSetId), ...c.systemDistributionSets];
    return used.some((id) => id !== undefined && sets.includes(id));
  }).length;
}

function touch(ctx: Ctx, id: number, who: string): void {
  ctx.app.db
    .prepare('UPDATE software_modules SET last_modified_by = ?, last_modified_at = ? WHERE id = ?')
    .run(who, ctx.app.clock.now(), id);
}

export const softwareModuleRoutes: Route[] = [
  get('/rest/v1/softwaremodules', (ctx) => {
    requireRole(ctx, 'READ');
    const rows = ctx.app.db
      .prepare('SELECT * FROM software_modules WHERE deleted = 0 ORDER BY id')
      .all() as SmRow[];
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
        const dup = db
          .prepare(
            'SELECT id FROM software_modules WHERE name = ? AND version = ? AND type_id = ? AND deleted = 0',
          )
          .get(m.name, m.version, type.id);
        if (dup)
          throw conflict(
            'softwaremodule.exists',
            `[${i}]: software module ${m.name} ${m.version} (${m.type}) exists`,
          );
        const r = db
          .prepare(
            `INSERT INTO software_modules (name, version, description, vendor, type_id, created_by, created_at, last_modified_by, last_modified_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            m.name,
            m.version,
            m.description ?? null,
            m.vendor ?? null,
            type.id,
            ...created(user.name, clock.now()),
          );
        return Number(r.lastInsertRowid);
      }),
    )();
    sendJson(
      ctx.res,
      201,
      ids.map((id) => moduleJson(ctx, findModule(ctx, id) as SmRow)),
    );
  }),
  put('/rest/v1/softwaremodules/:id', async (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = loadModule(ctx);
    type In = { name?: string; version?: string; description?: string; vendor?: string };
    const b = checkShape<In>(UPDATE, await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    ctx.app.db
      .prepare(
        `UPDATE software_modules SET name = ?, version = ?, description = ?, vendor = ?, last_modified_by = ?,
         last_modified_at = ? WHERE id = ?`,
      )
      .run(
        b.name ?? row.name,
        b.version ?? row.version,
        b.description ?? row.description,
        b.vendor ?? row.vendor,
        user.name,
        ctx.app.clock.now(),
        row.id,
      );
    sendJson(ctx.res, 200, moduleJson(ctx, findModule(ctx, row.id) as SmRow));
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
    const artifacts = (
      db.prepare('SELECT id FROM artifacts WHERE module_id = ?').all(row.id) as { id: number }[]
    ).map((a) => a.id);
    const inSet =
      db.prepare('SELECT 1 FROM ds_modules WHERE module_id = ? LIMIT 1').get(row.id) !== undefined;
    db.transaction(() => {
      if (inSet) {
        db.prepare('UPDATE artifacts SET stored = 0 WHERE module_id = ?').run(row.id);
        db.prepare(
          'UPDATE software_modules SET deleted = 1, last_modified_by = ?, last_modified_at = ? WHERE id = ?',
        ).run(user.name, ctx.app.clock.now(), row.id);
      } else db.prepare('DELETE FROM software_modules WHERE id = ?').run(row.id);
    })();
    for (const id of artifacts)
      rmSync(join(ctx.app.artifactDir, pathSegment(String(id), 'artifact id')), { force: true });
    sendEmpty(ctx.res, 204);
  }),
  get('/rest/v1/softwaremodules/:id/metadata', (ctx) => {
    requireRole(ctx, 'READ');
    const row = loadModule(ctx);
    sendJson(ctx.res, 200, page(moduleMetadata(ctx, row.id).map(metaJson), ctx.query));
  }),
  get('/rest/v1/softwaremodules/:id/metadata/:key', (ctx) => {
    requireRole(ctx, 'READ');
    const row = loadModule(ctx);
    const m = moduleMetadata(ctx, row.id).find((x) => x.key === ctx.params.key);
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
        if (db.prepare('SELECT 1 FROM sm_metadata WHERE module_id = ? AND key = ?').get(row.id, m.key))
          throw conflict('metadata.exists', `[${i}].key: metadata ${m.key} exists`);
        db.prepare('INSERT INTO sm_metadata (module_id, key, value, target_visible) VALUES (?, ?, ?, ?)').run(
          row.id,
          m.key,
          m.value,
          m.targetVisible ? 1 : 0,
        );
      }
      touch(ctx, row.id, user.name);
    })();
    const all = moduleMetadata(ctx, row.id);
    sendJson(
      ctx.res,
      201,
      body.map((m) => metaJson(all.find((x) => x.key === m.key) as MetaRow)),
    );
  }),
  put('/rest/v1/softwaremodules/:id/metadata/:key', async (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = loadModule(ctx);
    const b = checkShape<{ value: string; targetVisible?: boolean }>(
      META_UPDATE,
      await readJson(ctx.req, ctx.app.config.jsonBodyLimit),
    );
    const existing = moduleMetadata(ctx, row.id).find((x) => x.key === ctx.params.key);
    if (!existing)
      throw notFound('metadata.notFound', `software module ${row.id} has no metadata ${ctx.params.key}`);
    ctx.app.db
      .prepare('UPDATE sm_metadata SET value = ?, target_visible = ? WHERE module_id = ? AND key = ?')
      .run(b.value, (b.targetVisible ?? existing.target_visible === 1) ? 1 : 0, row.id, existing.key);
    touch(ctx, row.id, user.name);
    sendJson(
      ctx.res,
      200,
      metaJson(moduleMetadata(ctx, row.id).find((x) => x.key === existing.key) as MetaRow),
    );
  }),
  del('/rest/v1/softwaremodules/:id/metadata/:key', (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = loadModule(ctx);
    const r = ctx.app.db
      .prepare('DELETE FROM sm_metadata WHERE module_id = ? AND key = ?')
      .run(row.id, ctx.params.key);
    if (r.changes === 0)
      throw notFound('metadata.notFound', `software module ${row.id} has no metadata ${ctx.params.key}`);
    touch(ctx, row.id, user.name);
    sendEmpty(ctx.res, 204);
  }),
];
