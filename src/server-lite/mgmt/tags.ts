/**
 * Tags (003): `distributionsettags` and `targettags`, CRUD plus `…/{tagId}/assigned` (list, assign
 * `[{id}]`, unassign). Recipe tags are plain strings on the recipe (editable in every state).
 */
import { type Ctx, mgmtUrl } from '../app.js';
import { requireRole } from '../auth/basic.js';
import type { Role } from '../auth/roles.js';
import { findTarget } from '../domain/targets.js';
import { readJson } from '../http/body.js';
import { conflict, notFound } from '../http/errors.js';
import { page } from '../http/fiql.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import { del, get, post, put, type Route } from '../http/route.js';
import { checkShape, pathId, S } from '../http/shape.js';
import { type AuditRow, auditOf, created } from './audit.js';
import { findSet } from './distribution-sets.js';

interface TagRow extends AuditRow {
  id: number;
  kind: string;
  name: string;
  description: string | null;
  colour: string | null;
}

interface Kind {
  kind: 'distributionset' | 'target';
  path: string;
  role: Role;
  /** Normalises an assignment id; undefined when the entity does not exist. */
  resolve(ctx: Ctx, id: unknown): string | undefined;
}

const KINDS: Kind[] = [
  {
    kind: 'distributionset',
    path: 'distributionsettags',
    role: 'MODULE_RESPONSIBLE',
    resolve: (ctx, id) => (typeof id === 'number' && findSet(ctx, id) ? String(id) : undefined),
  },
  {
    kind: 'target',
    path: 'targettags',
    role: 'SYSTEM_RESPONSIBLE',
    resolve: (ctx, id) => (typeof id === 'string' && findTarget(ctx.app, id) ? id : undefined),
  },
];

const CREATE = S.arrayOf(
  S.object({ name: S.name, description: S.description, colour: S.colour }, ['name']),
  1,
);
const UPDATE = S.object({ name: S.name, description: S.description, colour: S.colour });
const ASSIGN = S.arrayOf(
  { type: 'object', properties: { id: { type: ['integer', 'string'], maxLength: 256 } }, required: ['id'] },
  1,
);

function routesFor(k: Kind): Route[] {
  const base = `/rest/v1/${k.path}`;
  const json = (ctx: Ctx, t: TagRow) => ({
    id: t.id,
    name: t.name,
    description: t.description ?? '',
    colour: t.colour ?? undefined,
    ...auditOf(t),
    _links: {
      self: { href: mgmtUrl(ctx, `${k.path}/${t.id}`) },
      assigned: { href: mgmtUrl(ctx, `${k.path}/${t.id}/assigned`) },
    },
  });
  const find = (ctx: Ctx, id: number) =>
    ctx.app.db.prepare('SELECT * FROM tags WHERE id = ? AND kind = ?').get(id, k.kind) as TagRow | undefined;
  const load = (ctx: Ctx) => {
    const id = pathId(ctx.params.tagId);
    const t = id === null ? undefined : find(ctx, id);
    if (!t) throw notFound('tag.notFound', `tag ${ctx.params.tagId} does not exist`);
    return t;
  };
  return [
    get(base, (ctx) => {
      requireRole(ctx, 'READ');
      const rows = ctx.app.db
        .prepare('SELECT * FROM tags WHERE kind = ? ORDER BY id')
        .all(k.kind) as TagRow[];
      sendJson(
        ctx.res,
        200,
        page(
          rows.map((t) => json(ctx, t)),
          ctx.query,
        ),
      );
    }),
    get(`${base}/:tagId`, (ctx) => {
      requireRole(ctx, 'READ');
      sendJson(ctx.res, 200, json(ctx, load(ctx)));
    }),
    post(base, async (ctx) => {
      const user = requireRole(ctx, k.role);
      type In = { name: string; description?: string; colour?: string };
      const body = checkShape<In[]>(CREATE, await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
      const { db, clock } = ctx.app;
      const ids = db.transaction(() =>
        body.map((t, i) => {
          if (db.prepare('SELECT 1 FROM tags WHERE kind = ? AND name = ?').get(k.kind, t.name))
            throw conflict('tag.exists', `[${i}].name: tag ${t.name} exists`);
          const r = db
            .prepare(
              `INSERT INTO tags (kind, name, description, colour, created_by, created_at, last_modified_by, last_modified_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(k.kind, t.name, t.description ?? null, t.colour ?? null, ...created(user.name, clock.now()));
          return Number(r.lastInsertRowid);
        }),
      )();
      sendJson(
        ctx.res,
        201,
        ids.map((id) => json(ctx, find(ctx, id) as TagRow)),
      );
    }),
    put(`${base}/:tagId`, async (ctx) => {
      const user = requireRole(ctx, k.role);
      const t = load(ctx);
      const b = checkShape<{ name?: string; description?: string; colour?: string }>(
        UPDATE,
        await readJson(ctx.req, ctx.app.config.jsonBodyLimit),
      );
      ctx.app.db
        .prepare(
          'UPDATE tags SET name = ?, description = ?, colour = ?, last_modified_by = ?, last_modified_at = ? WHERE id = ?',
        )
        .run(
          b.name ?? t.name,
          b.description ?? t.description,
          b.colour ?? t.colour,
          user.name,
          ctx.app.clock.now(),
          t.id,
        );
      sendJson(ctx.res, 200, json(ctx, find(ctx, t.id) as TagRow));
    }),
    del(`${base}/:tagId`, (ctx) => {
      requireRole(ctx, k.role);
      ctx.app.db.prepare('DELETE FROM tags WHERE id = ?').run(load(ctx).id);
      sendEmpty(ctx.res, 204);
    }),
    get(`${base}/:tagId/assigned`, (ctx) => {
      requireRole(ctx, 'READ');
      const t = load(ctx);
      const ids = (
        ctx.app.db
          .prepare('SELECT entity_id FROM tag_links WHERE tag_id = ? ORDER BY entity_id')
          .all(t.id) as {
          entity_id: string;
        }[]
      ).map((r) =>
        k.kind === 'distributionset' ? { id: Number(r.entity_id) } : { controllerId: r.entity_id },
      );
      sendJson(ctx.res, 200, page(ids, ctx.query));
    }),
    post(`${base}/:tagId/assigned`, async (ctx) => {
      requireRole(ctx, k.role);
      const t = load(ctx);
      const body = checkShape<{ id: unknown }[]>(
        ASSIGN,
        await readJson(ctx.req, ctx.app.config.jsonBodyLimit),
      );
      ctx.app.db.transaction(() => {
        body.forEach((e, i) => {
          const id = k.resolve(ctx, e.id);
          if (id === undefined)
            throw notFound(`${k.kind}.notFound`, `[${i}].id: ${String(e.id)} does not exist`);
          ctx.app.db
            .prepare('INSERT OR IGNORE INTO tag_links (tag_id, entity_id) VALUES (?, ?)')
            .run(t.id, id);
        });
      })();
      sendEmpty(ctx.res, 200);
    }),
    del(`${base}/:tagId/assigned/:entityId`, (ctx) => {
      requireRole(ctx, k.role);
      const t = load(ctx);
      const r = ctx.app.db
        .prepare('DELETE FROM tag_links WHERE tag_id = ? AND entity_id = ?')
        .run(t.id, ctx.params.entityId);
      if (r.changes === 0)
        throw notFound('tag.notAssigned', `tag ${t.id} is not assigned to ${ctx.params.entityId}`);
      sendEmpty(ctx.res, 204);
    }),
  ];
}

export const tagRoutes: Route[] = KINDS.flatMap(routesFor);
