/** `softwaremoduletypes`: CRUD; a type still used by a module is soft deleted (003), else hard deleted. */
import { type Ctx, mgmtUrl } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { readJson } from '../http/body.js';
import { conflict } from '../http/errors.js';
import { sendJson } from '../http/respond.js';
import { post, type Route } from '../http/route.js';
import { checkShape, S } from '../http/shape.js';
import { insertSmType, type SmTypeRow, smTypeUses } from '../store/types.js';
import { auditOf } from './audit.js';
import { typeTable } from './type-table.js';

export type { SmTypeRow } from '../store/types.js';

export function smTypeJson(ctx: Ctx, r: SmTypeRow) {
  return {
    id: r.id,
    key: r.key,
    name: r.name,
    description: r.description ?? '',
    maxAssignments: r.max_assignments,
    colour: r.colour ?? undefined,
    deleted: r.deleted === 1,
    ...auditOf(r),
    _links: { self: { href: mgmtUrl(ctx, `softwaremoduletypes/${r.id}`) } },
  };
}

const smTypes = typeTable<SmTypeRow>({
  table: 'sm_types',
  resource: 'softwaremoduletypes',
  entity: 'softwaremoduletype',
  noun: 'software module type',
  json: smTypeJson,
  uses: (ctx, id) => smTypeUses(ctx.app.db, id),
});

export const findSmType = smTypes.find;

const CREATE = S.arrayOf(
  {
    type: 'object',
    properties: {
      key: S.key,
      name: S.name,
      description: S.description,
      colour: S.colour,
      maxAssignments: { type: 'integer', minimum: 1 },
    },
    required: ['key', 'name'],
  },
  1,
);

export const softwareModuleTypeRoutes: Route[] = [
  ...smTypes.routes,
  post('/rest/v1/softwaremoduletypes', async (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    type In = { key: string; name: string; description?: string; colour?: string; maxAssignments?: number };
    const body = checkShape<In[]>(CREATE, await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    const { db, clock } = ctx.app;
    const ids = db.transaction(() =>
      body.map((t, i) => {
        if (findSmType(ctx, t.key))
          throw conflict('softwaremoduletype.exists', `[${i}].key: a software module type ${t.key} exists`);
        return insertSmType(
          db,
          {
            key: t.key,
            name: t.name,
            description: t.description ?? null,
            colour: t.colour ?? null,
            maxAssignments: t.maxAssignments ?? 1,
          },
          user.name,
          clock.now(),
        );
      }),
    )();
    sendJson(
      ctx.res,
      201,
      ids.map((id) => smTypeJson(ctx, findSmType(ctx, id) as SmTypeRow)),
    );
  }),
];
