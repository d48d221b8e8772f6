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
import { type DsTypeRow, dsTypeModules, dsTypeUses, insertDsType, type TypeLink } from '../store/types.js';
import { auditOf } from './audit.js';
import { findSmType } from './software-module-types.js';
import { typeTable } from './type-table.js';

export type { DsTypeRow } from '../store/types.js';

export function dsTypeJson(ctx: Ctx, r: DsTypeRow) {
  const links = dsTypeModules(ctx.app.db, r.id);
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
  uses: (ctx, id) => dsTypeUses(ctx.app.db, id),
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
        return insertDsType(
          db,
          {
            key: t.key,
            name: t.name,
            description: t.description ?? null,
            colour: t.colour ?? null,
            optional,
            mandatory,
          },
          user.name,
          clock.now(),
        );
      }),
    )();
    sendJson(
      ctx.res,
      201,
      ids.map((id) => dsTypeJson(ctx, findDsType(ctx, id) as DsTypeRow)),
    );
  }),
];
