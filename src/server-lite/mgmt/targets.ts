/**
 * `targets` (hawkBit style) and `systems` (the SOUP view of the same gateways), plus plain DDI deployments
 * (`POST distributionsets/{id}/assignedTargets`). A target has at most one open action of either kind.
 */
import { type Ctx, mgmtUrl } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { allows } from '../auth/roles.js';
import { type ActionRow, findAction, installedRecipeOf, openActionOf } from '../domain/actions.js';
import { runMatchJob } from '../domain/match-job.js';
import { findRecipe, recipeRef } from '../domain/recipe-store.js';
import {
  actionJson,
  actionsOf,
  CONTROLLER_ID,
  findTarget,
  insertTarget,
  type TargetRow,
  updateStatusOf,
} from '../domain/targets.js';
import { tenantValue } from '../domain/tenant-config.js';
import { readJson } from '../http/body.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import { page } from '../http/fiql.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import { del, get, post, put, type Route } from '../http/route.js';
import { checkShape, S } from '../http/shape.js';
import { auditOf } from './audit.js';
import { isComplete, loadSet } from './distribution-sets.js';

function loadTarget(ctx: Ctx): TargetRow {
  ctx.app.polls.flush();
  const t = findTarget(ctx.app, ctx.params.controllerId ?? '');
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

function systemJson(ctx: Ctx, t: TargetRow) {
  const matched = t.matched_recipe_id === null ? undefined : findRecipe(ctx.app, t.matched_recipe_id);
  const rc = t.matched_rc_recipe_id === null ? undefined : findRecipe(ctx.app, t.matched_rc_recipe_id);
  const cid = encodeURIComponent(t.controller_id);
  return {
    controllerId: t.controller_id,
    name: t.name,
    scope: t.scope,
    lastPollAt: t.last_poll_at,
    lastReport: t.last_report === null ? null : (JSON.parse(t.last_report) as unknown),
    lastReportAt: t.last_report_at,
    reportRequested: t.report_requested === 1,
    matchedRecipe: recipeRef(matched),
    matchedReleaseCandidateRecipe: recipeRef(rc),
    installedRecipe: recipeRef(installedRecipeOf(ctx.app, t.id)),
    updateStatus: updateStatusOf(ctx.app, t),
    _links: {
      self: { href: mgmtUrl(ctx, `systems/${cid}`) },
      actions: { href: mgmtUrl(ctx, `systems/${cid}/actions`) },
      requestReport: { href: mgmtUrl(ctx, `systems/${cid}/requestReport`) },
    },
  };
}

function actionsPage(ctx: Ctx, t: TargetRow) {
  return page(
    actionsOf(ctx.app, t.id).map((a) => actionJson(ctx.app, a)),
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
const ASSIGN = S.arrayOf(
  {
    type: 'object',
    properties: {
      id: { type: 'string', pattern: CONTROLLER_ID },
      type: { enum: ['soft', 'forced', 'downloadonly'] },
    },
    required: ['id'],
  },
  1,
);

function loadTargetAction(ctx: Ctx, t: TargetRow): ActionRow {
  const id = Number(ctx.params.actionId);
  const a = Number.isInteger(id) ? findAction(ctx.app, id) : undefined;
  if (!a || a.target_id !== t.id)
    throw notFound('action.notFound', `target ${t.controller_id} has no action ${ctx.params.actionId}`);
  return a;
}

export const targetRoutes: Route[] = [
  get('/rest/v1/targets', (ctx) => {
    requireRole(ctx, 'READ');
    ctx.app.polls.flush();
    const rows = ctx.app.db.prepare('SELECT * FROM targets ORDER BY id').all() as TargetRow[];
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
        if (findTarget(ctx.app, t.controllerId))
          throw conflict('target.exists', `[${i}].controllerId: target ${t.controllerId} exists`);
        insertTarget(ctx.app, t, user.name);
        return t.controllerId;
      }),
    )();
    sendJson(
      ctx.res,
      201,
      ids.map((cid) => targetJson(ctx, findTarget(ctx.app, cid) as TargetRow, true)),
    );
  }),
  put('/rest/v1/targets/:controllerId', async (ctx) => {
    const user = requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    const t = loadTarget(ctx);
    const b = checkShape<{ name?: string; description?: string; securityToken?: string }>(
      UPDATE,
      await readJson(ctx.req, ctx.app.config.jsonBodyLimit),
    );
    ctx.app.db
      .prepare(
        'UPDATE targets SET name = ?, description = ?, security_token = ?, last_modified_by = ?, last_modified_at = ? WHERE id = ?',
      )
      .run(
        b.name ?? t.name,
        b.description ?? t.description,
        b.securityToken ?? t.security_token,
        user.name,
        ctx.app.clock.now(),
        t.id,
      );
    sendJson(ctx.res, 200, targetJson(ctx, findTarget(ctx.app, t.controller_id) as TargetRow, true));
  }),
  del('/rest/v1/targets/:controllerId', (ctx) => {
    const user = requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    const t = loadTarget(ctx);
    ctx.app.db.transaction(() => {
      ctx.app.db.prepare('DELETE FROM targets WHERE id = ?').run(t.id);
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
    ctx.app.db.prepare('UPDATE actions SET cancel_requested = 1 WHERE id = ?').run(a.id);
    sendEmpty(ctx.res, 204);
  }),
  get('/rest/v1/systems', (ctx) => {
    requireRole(ctx, 'READ');
    ctx.app.polls.flush();
    const rows = ctx.app.db.prepare('SELECT * FROM targets ORDER BY id').all() as TargetRow[];
    sendJson(
      ctx.res,
      200,
      page(
        rows.map((t) => systemJson(ctx, t)),
        ctx.query,
      ),
    );
  }),
  get('/rest/v1/systems/:controllerId', (ctx) => {
    requireRole(ctx, 'READ');
    sendJson(ctx.res, 200, systemJson(ctx, loadTarget(ctx)));
  }),
  put('/rest/v1/systems/:controllerId', async (ctx) => {
    const user = requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    const b = checkShape<{ scope: 'production' | 'testing' }>(
      S.object({ scope: { enum: ['production', 'testing'] } }, ['scope']),
      await readJson(ctx.req, ctx.app.config.jsonBodyLimit),
    );
    const t = loadTarget(ctx);
    ctx.app.db.transaction(() => {
      ctx.app.db
        .prepare('UPDATE targets SET scope = ?, last_modified_by = ?, last_modified_at = ? WHERE id = ?')
        .run(b.scope, user.name, ctx.app.clock.now(), t.id);
      runMatchJob(ctx.app, t.id, user.name);
    })();
    sendJson(ctx.res, 200, systemJson(ctx, findTarget(ctx.app, t.controller_id) as TargetRow));
  }),
  post('/rest/v1/systems/:controllerId/requestReport', (ctx) => {
    requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    const t = loadTarget(ctx);
    ctx.app.db.prepare('UPDATE targets SET report_requested = 1 WHERE id = ?').run(t.id);
    sendJson(ctx.res, 200, systemJson(ctx, findTarget(ctx.app, t.controller_id) as TargetRow));
  }),
  get('/rest/v1/systems/:controllerId/actions', (ctx) => {
    requireRole(ctx, 'READ');
    sendJson(ctx.res, 200, actionsPage(ctx, loadTarget(ctx)));
  }),
  post('/rest/v1/distributionsets/:id/assignedTargets', async (ctx) => {
    const user = requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    const body = checkShape<{ id: string; type?: 'soft' | 'forced' | 'downloadonly' }[]>(
      ASSIGN,
      await readJson(ctx.req, ctx.app.config.jsonBodyLimit),
    );
    const { db } = ctx.app;
    const ids = db.transaction(() => {
      const ds = loadSet(ctx);
      if (!isComplete(ctx, ds))
        throw badRequest('distributionset.incomplete', `distribution set ${ds.id} is not complete`);
      const base = tenantValue(ctx.app, 'soup.action.handling');
      const window = tenantValue(ctx.app, 'soup.action.maintenanceWindow');
      return body.map((entry, i) => {
        const t = findTarget(ctx.app, entry.id);
        if (!t) throw notFound('target.notFound', `[${i}].id: target ${entry.id} does not exist`);
        const open = openActionOf(ctx.app, t.id);
        if (open)
          throw conflict(
            'target.actionOpen',
            `[${i}].id: target ${entry.id} already has open action ${open.id}`,
          );
        const handling =
          entry.type === 'soft'
            ? { download: base.download, update: 'attempt' }
            : entry.type === 'downloadonly'
              ? { download: base.download, update: 'skip' }
              : entry.type === 'forced'
                ? { download: 'forced', update: 'forced' }
                : base;
        const r = db
          .prepare(
            `INSERT INTO actions (target_id, kind, ds_id, status, handling, maintenance_window, created_by, created_at)
             VALUES (?, 'deployment', ?, 'open', ?, ?, ?, ?)`,
          )
          .run(
            t.id,
            ds.id,
            JSON.stringify(handling),
            window ? JSON.stringify(window) : null,
            user.name,
            ctx.app.clock.now(),
          );
        return { id: Number(r.lastInsertRowid), cid: t.controller_id };
      });
    })();
    sendJson(ctx.res, 200, {
      assigned: ids.length,
      alreadyAssigned: 0,
      total: ids.length,
      assignedActions: ids.map((a) => ({
        id: a.id,
        _links: { self: { href: mgmtUrl(ctx, `targets/${encodeURIComponent(a.cid)}/actions/${a.id}`) } },
      })),
    });
  }),
];
