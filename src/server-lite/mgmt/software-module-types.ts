/** `softwaremoduletypes`: CRUD; a type still used by a module is soft deleted (003), else hard deleted. */
import { type Ctx, mgmtUrl } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { readJson } from '../http/body.js';
import { conflict } from '../http/errors.js';
import { sendJson } from '../http/respond.js';
import { post, type Route } from '../http/route.js';
import { checkShape, S } from '../http/shape.js';
import { auditOf, created } from './audit.js';
import { type TypeRowBase, typeTable } from './type-table.js';

export interface SmTypeRow extends TypeRowBase {
  max_assignments: number;
}

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
  uses: (ctx, id) =>
    (
      ctx.app.db.prepare('SELECT COUNT(*) AS n FROM software_modules WHERE type_id = ?').get(id) as {
        n: number;
      }
    ).n +
    (
      ctx.app.db.prepare('SELECT COUNT(*) AS n FROM ds_type_modules WHERE sm_type_id = ?').get(id) as {
        n: number;
      }
    ).n,
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
        const r = db
          .prepare(
            `INSERT INTO sm_types (key, name, description, colour, max_assignments, created_by, created_at, last_modified_by, last_modified_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            t.key,
            t.name,
            t.description ?? null,
            t.colour ?? null,
            t.maxAssignments ?? 1,
            ...created(user.name, clock.now()),
          );
        return Number(r.lastInsertRowid);
      }),
    )();
    sendJson(
      ctx.res,
      201,
      ids.map((id) => smTypeJson(ctx, findSmType(ctx, id) as SmTypeRow)),
    );
  }),
];
