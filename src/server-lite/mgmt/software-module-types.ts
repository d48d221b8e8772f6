/** `softwaremoduletypes`: CRUD; a type still used by a module is soft deleted (003), else hard deleted. */
import { type Ctx, mgmtUrl } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { readJson } from '../http/body.js';
import { conflict, notFound } from '../http/errors.js';
import { page } from '../http/fiql.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import { del, get, post, put, type Route } from '../http/route.js';
import { checkShape, pathId, S } from '../http/shape.js';
import { type AuditRow, auditOf, created } from './audit.js';

export interface SmTypeRow extends AuditRow {
  id: number;
  key: string;
  name: string;
  description: string | null;
  max_assignments: number;
  colour: string | null;
  deleted: number;
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

export function findSmType(ctx: Ctx, idOrKey: number | string): SmTypeRow | undefined {
  const col = typeof idOrKey === 'number' ? 'id' : 'key';
  return ctx.app.db.prepare(`SELECT * FROM sm_types WHERE ${col} = ?`).get(idOrKey) as SmTypeRow | undefined;
}

function load(ctx: Ctx): SmTypeRow {
  const id = pathId(ctx.params.id);
  const row = id === null ? undefined : findSmType(ctx, id);
  if (!row)
    throw notFound('softwaremoduletype.notFound', `software module type ${ctx.params.id} does not exist`);
  return row;
}

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
const UPDATE = S.object({ name: S.name, description: S.description, colour: S.colour });

export const softwareModuleTypeRoutes: Route[] = [
  get('/rest/v1/softwaremoduletypes', (ctx) => {
    requireRole(ctx, 'READ');
    const rows = ctx.app.db
      .prepare('SELECT * FROM sm_types WHERE deleted = 0 ORDER BY id')
      .all() as SmTypeRow[];
    sendJson(
      ctx.res,
      200,
      page(
        rows.map((r) => smTypeJson(ctx, r)),
        ctx.query,
      ),
    );
  }),
  get('/rest/v1/softwaremoduletypes/:id', (ctx) => {
    requireRole(ctx, 'READ');
    sendJson(ctx.res, 200, smTypeJson(ctx, load(ctx)));
  }),
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
  put('/rest/v1/softwaremoduletypes/:id', async (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = load(ctx);
    type In = { name?: string; description?: string; colour?: string };
    const b = checkShape<In>(UPDATE, await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    ctx.app.db
      .prepare(
        'UPDATE sm_types SET name = ?, description = ?, colour = ?, last_modified_by = ?, last_modified_at = ? WHERE id = ?',
      )
      .run(
        b.name ?? row.name,
        b.description ?? row.description,
        b.colour ?? row.colour,
        user.name,
        ctx.app.clock.now(),
        row.id,
      );
    sendJson(ctx.res, 200, smTypeJson(ctx, findSmType(ctx, row.id) as SmTypeRow));
  }),
  del('/rest/v1/softwaremoduletypes/:id', (ctx) => {
    const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
    const row = load(ctx);
    const { db } = ctx.app;
    const used =
      (
        db.prepare('SELECT COUNT(*) AS n FROM software_modules WHERE type_id = ?').get(row.id) as {
          n: number;
        }
      ).n +
      (
        db.prepare('SELECT COUNT(*) AS n FROM ds_type_modules WHERE sm_type_id = ?').get(row.id) as {
          n: number;
        }
      ).n;
    if (used > 0)
      db.prepare(
        'UPDATE sm_types SET deleted = 1, last_modified_by = ?, last_modified_at = ? WHERE id = ?',
      ).run(user.name, ctx.app.clock.now(), row.id);
    else db.prepare('DELETE FROM sm_types WHERE id = ?').run(row.id);
    sendEmpty(ctx.res, 204);
  }),
];
