/**
 * Tags (003): `distributionsettags` and `targettags`, CRUD plus `…/{tagId}/assigned` (list, assign
 * `[{id}]`, unassign). Recipe tags are plain strings on the recipe (editable in every state).
 */
import { type Ctx, mgmtUrl } from '../app.js';
import { requireRole } from '../auth/basic.js';
import type { Role } from '../auth/roles.js';
import { readJson } from '../http/body.js';
import { conflict, notFound } from '../http/errors.js';
import { page } from '../http/page.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import { del, get, post, put, type Route } from '../http/route.js';
import { checkShape, pathId, S } from '../http/shape.js';
import { findSet } from '../store/distribution-sets.js';
import {
  deleteTag,
  findTag,
  insertTag,
  linkTag,
  listTags,
  type TagKind,
  type TagRow,
  taggedIds,
  tagNameTaken,
  unlinkTag,
  updateTag,
} from '../store/tags.js';
import { findTarget } from '../store/targets.js';
import { auditOf } from './audit.js';

interface Kind {
  kind: TagKind;
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
    resolve: (ctx, id) => (typeof id === 'number' && findSet(ctx.app.db, id) ? String(id) : undefined),
  },
  {
    kind: 'target',
    path: 'targettags',
    role: 'SYSTEM_RESPONSIBLE',
    resolve: (ctx, id) => (typeof id === 'string' && findTarget(ctx.app.db, id) ? id : undefined),
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
  const find = (ctx: Ctx, id: number) => findTag(ctx.app.db, k.kind, id);
  const load = (ctx: Ctx) => {
    const id = pathId(ctx.params.tagId);
    const t = id === null ? undefined : find(ctx, id);
    if (!t) throw notFound('tag.notFound', `tag ${ctx.params.tagId} does not exist`);
    return t;
  };
  return [
    get(base, (ctx) => {
      requireRole(ctx, 'READ');
      const rows = listTags(ctx.app.db, k.kind);
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
          if (tagNameTaken(db, k.kind, t.name))
            throw conflict('tag.exists', `[${i}].name: tag ${t.name} exists`);
          return insertTag(
            db,
            k.kind,
            { name: t.name, description: t.description ?? null, colour: t.colour ?? null },
            user.name,
            clock.now(),
          );
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
      updateTag(
        ctx.app.db,
        t.id,
        { name: b.name ?? t.name, description: b.description ?? t.description, colour: b.colour ?? t.colour },
        user.name,
        ctx.app.clock.now(),
      );
      sendJson(ctx.res, 200, json(ctx, find(ctx, t.id) as TagRow));
    }),
    del(`${base}/:tagId`, (ctx) => {
      requireRole(ctx, k.role);
      deleteTag(ctx.app.db, load(ctx).id);
      sendEmpty(ctx.res, 204);
    }),
    get(`${base}/:tagId/assigned`, (ctx) => {
      requireRole(ctx, 'READ');
      const t = load(ctx);
      const ids = taggedIds(ctx.app.db, t.id).map((id) =>
        k.kind === 'distributionset' ? { id: Number(id) } : { controllerId: id },
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
          linkTag(ctx.app.db, t.id, id);
        });
      })();
      sendEmpty(ctx.res, 200);
    }),
    del(`${base}/:tagId/assigned/:entityId`, (ctx) => {
      requireRole(ctx, k.role);
      const t = load(ctx);
      if (!unlinkTag(ctx.app.db, t.id, ctx.params.entityId ?? ''))
        throw notFound('tag.notAssigned', `tag ${t.id} is not assigned to ${ctx.params.entityId}`);
      sendEmpty(ctx.res, 204);
    }),
  ];
}

export const tagRoutes: Route[] = KINDS.flatMap(routesFor);
