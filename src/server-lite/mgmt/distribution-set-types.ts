/**
 * `distributionsettypes`: CRUD with `mandatoryModuleTypes` / `optionalModuleTypes` (each given as
 * `[{id}]` or `[{key}]`); a type still used by a set is soft deleted (003), else hard deleted.
 */
import { type Ctx, mgmtUrl } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { readJson } from '../http/body.js';
import { badRequest, conflict } from '../http/errors.js';
import { sendJson } from '../http/respond.js';
import { post, type Route } from '../http/route.js';
import { checkShape, S } from '../http/shape.js';
import { auditOf, created } from './audit.js';
import { findSmType } from './software-module-types.js';
import { type TypeRowBase, typeTable } from './type-table.js';

export type DsTypeRow = TypeRowBase;

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

const dsTypes = typeTable<DsTypeRow>({
  table: 'ds_types',
  resource: 'distributionsettypes',
  entity: 'distributionsettype',
  noun: 'distribution set type',
  json: dsTypeJson,
  uses: (ctx, id) =>
    (
      ctx.app.db.prepare('SELECT COUNT(*) AS n FROM distribution_sets WHERE type_id = ?').get(id) as {
        n: number;
      }
    ).n,
});

export const findDsType = dsTypes.find;

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
  ...dsTypes.routes,
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
];
