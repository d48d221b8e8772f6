/**
 * What `softwaremoduletypes` and `distributionsettypes` share: a row found by id or key, 404 when
 * missing, the list of types not deleted, get, update of name/description/colour, and delete (soft while
 * something still uses the type, 003; else hard). Each resource adds its own create.
 */
import type { Ctx } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { readJson } from '../http/body.js';
import { notFound } from '../http/errors.js';
import { page } from '../http/fiql.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import { del, get, put, type Route } from '../http/route.js';
import { checkShape, pathId, S } from '../http/shape.js';
import type { AuditRow } from './audit.js';

export interface TypeRowBase extends AuditRow {
  id: number;
  key: string;
  name: string;
  description: string | null;
  colour: string | null;
  deleted: number;
}

export interface TypeTableSpec<Row extends TypeRowBase> {
  table: 'sm_types' | 'ds_types';
  /** The resource's path below `/rest/v1/`. */
  resource: string;
  /** Prefix of error codes (`<entity>.notFound`). */
  entity: string;
  /** For messages: "software module type". */
  noun: string;
  json(ctx: Ctx, row: Row): unknown;
  /** How many entities use the type (a used type is only marked deleted). */
  uses(ctx: Ctx, id: number): number;
}

export interface TypeTable<Row extends TypeRowBase> {
  find(ctx: Ctx, idOrKey: number | string): Row | undefined;
  /** The row of the path's `:id`, else 404. */
  load(ctx: Ctx): Row;
  /** List, get, update and delete. */
  routes: Route[];
}

const UPDATE = S.object({ name: S.name, description: S.description, colour: S.colour });

export function typeTable<Row extends TypeRowBase>(spec: TypeTableSpec<Row>): TypeTable<Row> {
  const { table, resource } = spec;
  const find = (ctx: Ctx, idOrKey: number | string): Row | undefined => {
    const col = typeof idOrKey === 'number' ? 'id' : 'key';
    return ctx.app.db.prepare(`SELECT * FROM ${table} WHERE ${col} = ?`).get(idOrKey) as Row | undefined;
  };
  const load = (ctx: Ctx): Row => {
    const id = pathId(ctx.params.id);
    const row = id === null ? undefined : find(ctx, id);
    if (!row) throw notFound(`${spec.entity}.notFound`, `${spec.noun} ${ctx.params.id} does not exist`);
    return row;
  };
  const routes: Route[] = [
    get(`/rest/v1/${resource}`, (ctx) => {
      requireRole(ctx, 'READ');
      const rows = ctx.app.db.prepare(`SELECT * FROM ${table} WHERE deleted = 0 ORDER BY id`).all() as Row[];
      sendJson(
        ctx.res,
        200,
        page(
          rows.map((r) => spec.json(ctx, r)),
          ctx.query,
        ),
      );
    }),
    get(`/rest/v1/${resource}/:id`, (ctx) => {
      requireRole(ctx, 'READ');
      sendJson(ctx.res, 200, spec.json(ctx, load(ctx)));
    }),
    put(`/rest/v1/${resource}/:id`, async (ctx) => {
      const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
      const row = load(ctx);
      type In = { name?: string; description?: string; colour?: string };
      const b = checkShape<In>(UPDATE, await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
      ctx.app.db
        .prepare(
          `UPDATE ${table} SET name = ?, description = ?, colour = ?, last_modified_by = ?, last_modified_at = ? WHERE id = ?`,
        )
        .run(
          b.name ?? row.name,
          b.description ?? row.description,
          b.colour ?? row.colour,
          user.name,
          ctx.app.clock.now(),
          row.id,
        );
      sendJson(ctx.res, 200, spec.json(ctx, find(ctx, row.id) as Row));
    }),
    del(`/rest/v1/${resource}/:id`, (ctx) => {
      const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
      const row = load(ctx);
      const { db } = ctx.app;
      if (spec.uses(ctx, row.id) > 0)
        db.prepare(
          `UPDATE ${table} SET deleted = 1, last_modified_by = ?, last_modified_at = ? WHERE id = ?`,
        ).run(user.name, ctx.app.clock.now(), row.id);
      else db.prepare(`DELETE FROM ${table} WHERE id = ?`).run(row.id);
      sendEmpty(ctx.res, 204);
    }),
  ];
  return { find, load, routes };
}
