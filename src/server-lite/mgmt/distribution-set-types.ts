/**
 * `distributionsettypes`: CRUD with `mandatoryModuleTypes` / `optionalModuleTypes` (each given as
 * `[{id}]` or `[{key}]`); a type still used by a set is soft deleted (003), else hard deleted.
 */
import { type Ctx, mgmtUrl } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { readJson } from '../http/body.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import { page } from '../http/fiql.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import { del, get, post, put, type Route } from '../http/route.js';
import { checkShape, pathId, S } from '../http/shape.js';
import { type AuditRow, auditOf, created } from './audit.js';
import { findSmType } from './software-module-types.js';

export interface DsTypeRow extends AuditRow {
  id: number;
  key: string;
  name: string;
  description: string | null;
  colour: string | null;
  deleted: number;
}

interface TypeLink {
  id: number;
  key: string;
  name: string;
  mandatory: number;
}

export function dsTypeModules(ctx: Ctx, dsTypeId: number): TypeLink[] {
  return ctx.app.db
    .prepare(
      `SELECT t.id, t.key, t.name, l.mandatory FROM ds_type_modules l JOIN sm_types t ON t.id = l.sm_type_id
       WHERE l.ds_type_id = ? ORDER BY t.id`,
    )
    .all(dsTypeId) as TypeLink[];
}

export function dsTypeJson(ctx: Ctx, r: DsTypeRow) {
  const links = dsTypeModules(ctx, r.id);
  const ref = (l: TypeLink) => ({ id: l.id, key: l.key, name: l.name });
  return {
    id: r.id,
    key: r.key,
    name: r.name,
    description: r.description ?? '',
    colour: r.colour ?? undefined,
    deleted: r.deleted === 1,
    mandatoryModuleTypes: links.filter((l) => l.mandatory === 1).map(ref),
    optionalModuleTypes: links.filter((l) => l.mandatory === 0).map(ref),
    ...auditOf(r),
    _links: { self: { href: mgmtUrl(ctx, `distributionsettypes/${r.id}`) } },
  };
}

export function findDsType(ctx: Ctx, idOrKey: number | string): DsTypeRow | undefined {
  const col = typeof idOrKey === 'number' ? 'id' : 'key';
  return ctx.app.db.prepare(`SELECT * FROM ds_types WHERE ${col} = ?`).get(idOrKey) as DsTypeRow | undefined;
}

function load(ctx: Ctx): DsTypeRow {
  const id = pathId(ctx.params.id);
  const row = id === null ? undefined : findDsType(ctx, id);
  if (!row)
    throw notFound('distributionsettype.notFound', `distribution set type ${ctx.params.id} does not exist`);
  return row;
}

const TYPE_REF = {
  type: 'array',
  items: {
    anyOf: [
      { type: 'object', properties: { id: S.id }, required: ['id'] },
      { type: 'object', properties: { key: S.key }, required: ['key'] },
    ],
  },
};
const CREATE = S.arrayOf(
  {
    type: 'object',
    properties: {
      key: S.key,
      name: S.name,
      description: S.description,
      colour: S.colour,
      mandatoryModuleTypes: TYPE_REF,
      optionalModuleTypes: TYPE_REF,
    },
    required: ['key', 'name'],
  },
  1,
);
const UPDATE = S.object({ name: S.name, description: S.description, colour: S.colour });

type Ref = { id?: number; key?: string };

function resolveTypes(ctx: Ctx, refs: Ref[] | undefined, path: string): number[] {
  return (refs ?? []).map((ref, i) => {
    const t = findSmType(ctx, ref.id ?? (ref.key as string));
    if (!t || t.deleted)
      throw badRequest(
        'distributionsettype.unknownModuleType',
        `${path}[${i}]: software module type ${ref.id ?? ref.key} does not exist`,
      );
    return t.id;
  });
}

export const distributionSetTypeRoutes: Route[] = [
  get('/rest/v1/distributionsettypes', (ctx) => {
    requireRole(ctx, 'READ');
    const rows = ctx.app.db
      .prepare('SELECT * FROM ds_types WHERE deleted = 0 ORDER BY id')
      .all() as DsTypeRow[];
    sendJson(
      ctx.res,
      200,
      page(
        rows.map((r) => dsTypeJson(ctx, r)),
        ctx.query,
      ),
    );
  }),
  get('/rest/v1/distributionsettypes/:id', (ctx) => {
    requireRole(ctx, 'READ');
    sendJson(ctx.res, 200, dsTypeJson(ctx, load(ctx)));
  }),
  post('/rest/v1/distributionsettypes', async (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    type In = {
      key: string;
      name: string;
      description?: string;
      colour?: string;
      mandatoryModuleTypes?: Ref[];
      optionalModuleTypes?: Ref[];
    };
    const body = checkShape<In[]>(CREATE, await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    const { db, clock } = ctx.app;
    const ids = db.transaction(() =>
      body.map((t, i) => {
        if (findDsType(ctx, t.key))
          throw conflict('distributionsettype.exists', `[${i}].key: a distribution set type ${t.key} exists`);
        const mandatory = resolveTypes(ctx, t.mandatoryModuleTypes, `[${i}].mandatoryModuleTypes`);
        const optional = resolveTypes(ctx, t.optionalModuleTypes, `[${i}].optionalModuleTypes`);
        const r = db
          .prepare(
            `INSERT INTO ds_types (key, name, description, colour, created_by, created_at, last_modified_by, last_modified_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(t.key, t.name, t.description ?? null, t.colour ?? null, ...created(user.name, clock.now()));
        const id = Number(r.lastInsertRowid);
        const link = db.prepare(
          'INSERT OR REPLACE INTO ds_type_modules (ds_type_id, sm_type_id, mandatory) VALUES (?, ?, ?)',
        );
        for (const sm of optional) link.run(id, sm, 0);
        for (const sm of mandatory) link.run(id, sm, 1);
        return id;
      }),
    )();
    sendJson(
      ctx.res,
      201,
      ids.map((id) => dsTypeJson(ctx, findDsType(ctx, id) as DsTypeRow)),
    );
  }),
  put('/rest/v1/distributionsettypes/:id', async (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = load(ctx);
    type In = { name?: string; description?: string; colour?: string };
    const b = checkShape<In>(UPDATE, await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    ctx.app.db
      .prepare(
        'UPDATE ds_types SET name = ?, description = ?, colour = ?, last_modified_by = ?, last_modified_at = ? WHERE id = ?',
      )
      .run(
        b.name ?? row.name,
        b.description ?? row.description,
        b.colour ?? row.colour,
        user.name,
        ctx.app.clock.now(),
        row.id,
      );
    sendJson(ctx.res, 200, dsTypeJson(ctx, findDsType(ctx, row.id) as DsTypeRow));
  }),
  del('/rest/v1/distributionsettypes/:id', (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = load(ctx);
    const { db } = ctx.app;
    const used = (
      db.prepare('SELECT COUNT(*) AS n FROM distribution_sets WHERE type_id = ?').get(row.id) as { n: number }
    ).n;
    if (used > 0)
      db.prepare(
        'UPDATE ds_types SET deleted = 1, last_modified_by = ?, last_modified_at = ? WHERE id = ?',
      ).run(user.name, ctx.app.clock.now(), row.id);
    else db.prepare('DELETE FROM ds_types WHERE id = ?').run(row.id);
    sendEmpty(ctx.res, 204);
  }),
];
