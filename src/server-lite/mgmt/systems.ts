/**
 * `systems`: the SOUP view of the gateways (scope, last report, matched / installed recipe, update status,
 * `matchReasons` on a single system, `_links.retry` when a retry would open an action), `PUT` of the scope,
 * `requestReport`, actions and `POST retry` (202 with the opened action, else 409 naming the reason).
 */
import { type Ctx, mgmtUrl } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { installedRecipeOf } from '../domain/actions.js';
import { runMatchJob } from '../domain/match-job.js';
import { recipeRef } from '../domain/recipe-store.js';
import { isRetryable, matchReasonsOf, retrySystem } from '../domain/retry.js';
import { actionJson, type TargetRow, updateStatusOf } from '../domain/targets.js';
import { readJson } from '../http/body.js';
import { conflict } from '../http/errors.js';
import { page } from '../http/page.js';
import { sendJson } from '../http/respond.js';
import { get, post, put, type Route } from '../http/route.js';
import { checkShape, S } from '../http/shape.js';
import { type ActionRow, findAction } from '../store/actions.js';
import { findRecipe } from '../store/recipes.js';
import { findTarget, listTargets, requestReport, setScope } from '../store/targets.js';
import { actionsPage, loadTarget } from './targets.js';

/** `matchReasons` (one line per candidate recipe that does not match) only when `withReasons`. */
function systemJson(ctx: Ctx, t: TargetRow, withReasons = false) {
  const matched = t.matched_recipe_id === null ? undefined : findRecipe(ctx.app.db, t.matched_recipe_id);
  const rc = t.matched_rc_recipe_id === null ? undefined : findRecipe(ctx.app.db, t.matched_rc_recipe_id);
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
    ...(withReasons ? { matchReasons: matchReasonsOf(ctx.app, t) } : {}),
    _links: {
      self: { href: mgmtUrl(ctx, `systems/${cid}`) },
      actions: { href: mgmtUrl(ctx, `systems/${cid}/actions`) },
      requestReport: { href: mgmtUrl(ctx, `systems/${cid}/requestReport`) },
      ...(isRetryable(ctx.app, t) ? { retry: { href: mgmtUrl(ctx, `systems/${cid}/retry`) } } : {}),
    },
  };
}

export const systemRoutes: Route[] = [
  get('/rest/v1/systems', (ctx) => {
    requireRole(ctx, 'READ');
    ctx.app.polls.flush();
    const rows = listTargets(ctx.app.db);
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
    sendJson(ctx.res, 200, systemJson(ctx, loadTarget(ctx), true));
  }),
  put('/rest/v1/systems/:controllerId', async (ctx) => {
    const user = requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    const b = checkShape<{ scope: 'production' | 'testing' }>(
      S.object({ scope: { enum: ['production', 'testing'] } }, ['scope']),
      await readJson(ctx.req, ctx.app.config.jsonBodyLimit),
    );
    const t = loadTarget(ctx);
    ctx.app.db.transaction(() => {
      setScope(ctx.app.db, t.id, b.scope, user.name, ctx.app.clock.now());
      runMatchJob(ctx.app, t.id, user.name);
    })();
    sendJson(ctx.res, 200, systemJson(ctx, findTarget(ctx.app.db, t.controller_id) as TargetRow));
  }),
  post('/rest/v1/systems/:controllerId/requestReport', (ctx) => {
    requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    const t = loadTarget(ctx);
    requestReport(ctx.app.db, t.id);
    sendJson(ctx.res, 200, systemJson(ctx, findTarget(ctx.app.db, t.controller_id) as TargetRow));
  }),
  post('/rest/v1/systems/:controllerId/retry', (ctx) => {
    const user = requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    const t = loadTarget(ctx);
    const outcome = ctx.app.db.transaction(() => retrySystem(ctx.app, t.id, user.name))();
    if ('refused' in outcome)
      throw conflict('system.notRetryable', `system ${t.controller_id} cannot retry: ${outcome.refused}`, {
        reason: outcome.refused,
      });
    sendJson(ctx.res, 202, actionJson(ctx.app, findAction(ctx.app.db, outcome.opened) as ActionRow));
  }),
  get('/rest/v1/systems/:controllerId/actions', (ctx) => {
    requireRole(ctx, 'READ');
    sendJson(ctx.res, 200, actionsPage(ctx, loadTarget(ctx)));
  }),
];
