/**
 * What `softwaremoduletypes` and `distributionsettypes` share: a row found by id or key, 404 when
 * missing, the list of types not deleted, get, update of name/description/colour, and delete (soft while
 * something still uses the type, 003; else hard). Each resource adds its own create.
 */
import type { Ctx } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { readJson } from '../http/body.js';
import { notFound } from '../http/errors.js';
import { page } from '../http/page.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import { del, get, put, type Route } from '../http/route.js';
import { checkShape, pathId, S } from '../http/shape.js';
import {
  deleteType,
  findType,
  listTypes,
  softDeleteType,
  type TypeRowBase,
  type TypeTableName,
  updateType,
} from '../store/types.js';

export type { TypeRowBase } from '../store/types.js';

export interface TypeTableSpec<Row extends TypeRowBase> {
  table: TypeTableName;
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
  const find = (ctx: Ctx, idOrKey: number | string): Row | undefined =>
    findType<Row>(ctx.app.db, table, idOrKey);
  const load = (ctx: Ctx): Row => {
    const id = pathId(ctx.params.id);
    const row = id === null ? undefined : find(ctx, id);
    if (!row) throw notFound(`${spec.entity}.notFound`, `${spec.noun} ${ctx.params.id} does not exist`);
    return row;
  };
  const routes: Route[] = [
    get(`/rest/v1/${resource}`, (ctx) => {
      requireRole(ctx, 'READ');
      const rows = listTypes<Row>(ctx.app.db, table);
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
      updateType(
        ctx.app.db,
        table,
        row.id,
        {
          name: b.name ?? row.name,
          description: b.description ?? row.description,
          colour: b.colour ?? row.colour,
        },
        user.name,
        ctx.app.clock.now(),
      );
      sendJson(ctx.res, 200, spec.json(ctx, find(ctx, row.id) as Row));
    }),
    del(`/rest/v1/${resource}/:id`, (ctx) => {
      const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
      const row = load(ctx);
      if (spec.uses(ctx, row.id) > 0)
        softDeleteType(ctx.app.db, table, row.id, user.name, ctx.app.clock.now());
      else deleteType(ctx.app.db, table, row.id);
      sendEmpty(ctx.res, 204);
    }),
  ];
  return { find, load, routes };
}
