/**
 * `targets` (hawkBit style): CRUD, attributes, actions (DELETE of an open one requests its cancel).
 * `systems.ts` is the SOUP view of the same gateways; `deployments.ts` the plain DDI assignments.
 */
import { type Ctx, mgmtUrl } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { allows } from '../auth/roles.js';
import { runMatchJob } from '../domain/match-job.js';
import {
  actionJson,
  CONTROLLER_ID,
  registerTarget,
  type TargetRow,
  updateStatusOf,
} from '../domain/targets.js';
import { readJson } from '../http/body.js';
import { conflict, notFound } from '../http/errors.js';
import { page } from '../http/page.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import { del, get, post, put, type Route } from '../http/route.js';
import { checkShape, S } from '../http/shape.js';
import { type ActionRow, actionsOf, findAction, setCancelRequested } from '../store/actions.js';
import { deleteTarget, findTarget, listTargets, updateTarget } from '../store/targets.js';
import { auditOf } from './audit.js';

/** The target of the path's `:controllerId` (last poll times flushed first), else 404. */
export function loadTarget(ctx: Ctx): TargetRow {
  ctx.app.polls.flush();
  const t = findTarget(ctx.app.db, ctx.params.controllerId ?? '');
  if (!t) throw notFound('target.notFound', `target ${ctx.params.controllerId} does not exist`);
  return t;
}

function targetJson(ctx: Ctx, t: TargetRow, withToken: boolean) {
  return {
    controllerId: t.controller_id,
    name: t.name,
    description: t.description ?? '',
    updateStatus: updateStatusOf(ctx.app, t),
    lastControllerRequestAt: t.last_poll_at ?? undefined,
    address: t.address ?? undefined,
    ...(withToken ? { securityToken: t.security_token } : {}),
    ...auditOf(t),
    _links: {
      self: { href: mgmtUrl(ctx, `targets/${encodeURIComponent(t.controller_id)}`) },
      attributes: { href: mgmtUrl(ctx, `targets/${encodeURIComponent(t.controller_id)}/attributes`) },
      actions: { href: mgmtUrl(ctx, `targets/${encodeURIComponent(t.controller_id)}/actions`) },
    },
  };
}

export function actionsPage(ctx: Ctx, t: TargetRow) {
  return page(
    actionsOf(ctx.app.db, t.id).map((a) => actionJson(ctx.app, a)),
    ctx.query,
  );
}

const CREATE = S.arrayOf(
  {
    type: 'object',
    properties: {
      controllerId: { type: 'string', pattern: CONTROLLER_ID },
      name: S.name,
      description: S.description,
      securityToken: S.str(128, 1),
    },
    required: ['controllerId'],
  },
  1,
);
const UPDATE = S.object({ name: S.name, description: S.description, securityToken: S.str(128, 1) });
function loadTargetAction(ctx: Ctx, t: TargetRow): ActionRow {
  const id = Number(ctx.params.actionId);
  const a = Number.isInteger(id) ? findAction(ctx.app.db, id) : undefined;
  if (!a || a.target_id !== t.id)
    throw notFound('action.notFound', `target ${t.controller_id} has no action ${ctx.params.actionId}`);
  return a;
}

export const targetRoutes: Route[] = [
  get('/rest/v1/targets', (ctx) => {
    requireRole(ctx, 'READ');
    ctx.app.polls.flush();
    const rows = listTargets(ctx.app.db);
    sendJson(
      ctx.res,
      200,
      page(
        rows.map((t) => targetJson(ctx, t, false)),
        ctx.query,
      ),
    );
  }),
  get('/rest/v1/targets/:controllerId', (ctx) => {
    const user = requireRole(ctx, 'READ');
    const withToken = allows(user.roles, 'SYSTEM_RESPONSIBLE');
    sendJson(ctx.res, 200, targetJson(ctx, loadTarget(ctx), withToken));
  }),
  post('/rest/v1/targets', async (ctx) => {
    const user = requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    type In = { controllerId: string; name?: string; description?: string; securityToken?: string };
    const body = checkShape<In[]>(CREATE, await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    const ids = ctx.app.db.transaction(() =>
      body.map((t, i) => {
        if (findTarget(ctx.app.db, t.controllerId))
          throw conflict('target.exists', `[${i}].controllerId: target ${t.controllerId} exists`);
        registerTarget(ctx.app, t, user.name);
        return t.controllerId;
      }),
    )();
    sendJson(
      ctx.res,
      201,
      ids.map((cid) => targetJson(ctx, findTarget(ctx.app.db, cid) as TargetRow, true)),
    );
  }),
  put('/rest/v1/targets/:controllerId', async (ctx) => {
    const user = requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    const t = loadTarget(ctx);
    const b = checkShape<{ name?: string; description?: string; securityToken?: string }>(
      UPDATE,
      await readJson(ctx.req, ctx.app.config.jsonBodyLimit),
    );
    updateTarget(
      ctx.app.db,
      t.id,
      {
        name: b.name ?? t.name,
        description: b.description ?? t.description,
        securityToken: b.securityToken ?? t.security_token,
      },
      user.name,
      ctx.app.clock.now(),
    );
    sendJson(ctx.res, 200, targetJson(ctx, findTarget(ctx.app.db, t.controller_id) as TargetRow, true));
  }),
  del('/rest/v1/targets/:controllerId', (ctx) => {
    const user = requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    const t = loadTarget(ctx);
    ctx.app.db.transaction(() => {
      deleteTarget(ctx.app.db, t.id);
      runMatchJob(ctx.app, null, user.name);
    })();
    sendEmpty(ctx.res, 204);
  }),
  get('/rest/v1/targets/:controllerId/attributes', (ctx) => {
    requireRole(ctx, 'READ');
    sendJson(ctx.res, 200, JSON.parse(loadTarget(ctx).attributes));
  }),
  get('/rest/v1/targets/:controllerId/actions', (ctx) => {
    requireRole(ctx, 'READ');
    sendJson(ctx.res, 200, actionsPage(ctx, loadTarget(ctx)));
  }),
  get('/rest/v1/targets/:controllerId/actions/:actionId', (ctx) => {
    requireRole(ctx, 'READ');
    const t = loadTarget(ctx);
    sendJson(ctx.res, 200, actionJson(ctx.app, loadTargetAction(ctx, t)));
  }),
  del('/rest/v1/targets/:controllerId/actions/:actionId', (ctx) => {
    requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    const t = loadTarget(ctx);
    const a = loadTargetAction(ctx, t);
    if (a.status !== 'open') throw conflict('action.closed', `action ${a.id} is ${a.status}`);
    setCancelRequested(ctx.app.db, a.id, true);
    sendEmpty(ctx.res, 204);
  }),
];
