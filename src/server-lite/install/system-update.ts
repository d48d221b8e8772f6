/**
 * SOUP system updates on the Install API: `GET systemUpdate/{actionId}`, `POST systemUpdate/{actionId}/feedback`,
 * `POST offlineFeedback`. An action of another controller, or one cancelled meanwhile, is 404.
 */
import type { Ctx } from '../app.js';
import { authenticateGateway } from '../auth/install-auth.js';
import { type MaintenanceWindow, windowState } from '../domain/maintenance-window.js';
import { readJson } from '../http/body.js';
import { notFound } from '../http/errors.js';
import { sendJson } from '../http/respond.js';
import { get, post, type Route } from '../http/route.js';
import { checkShape, type JsonSchema } from '../http/shape.js';
import { type ActionRow, findAction } from '../store/actions.js';
import { findRecipe } from '../store/recipes.js';
import type { GatewayRow as TargetRow } from '../store/targets.js';
import { type Feedback, parseFeedback, recordFeedback } from './feedback.js';
import { controllerUrl } from './links.js';

function actionOf(ctx: Ctx, t: TargetRow, raw: string | undefined, kind: ActionRow['kind']): ActionRow {
  const id = raw !== undefined && /^\d{1,15}$/.test(raw) ? Number(raw) : -1;
  const a = findAction(ctx.app.db, id);
  if (!a || a.target_id !== t.id || a.kind !== kind)
    throw notFound('action.notFound', `action ${raw} does not exist`);
  return a;
}

const OFFLINE: JsonSchema = {
  type: 'object',
  properties: {
    records: {
      type: 'array',
      maxItems: 10000,
      items: {
        type: 'object',
        properties: { actionId: { type: 'string', pattern: '^\\d{1,15}$' } },
        required: ['actionId'],
      },
    },
  },
  required: ['records'],
};

export const systemUpdateRoutes: Route[] = [
  get('/:tenant/controller/v1/:controllerId/systemUpdate/:actionId', (ctx) => {
    const t = authenticateGateway(ctx, false);
    const a = actionOf(ctx, t, ctx.params.actionId, 'systemUpdate');
    if (a.status === 'canceled' || a.cancel_requested === 1)
      throw notFound('action.canceled', `action ${a.id} was cancelled`);
    const r = findRecipe(ctx.app.db, a.recipe_id ?? -1);
    if (!r) throw notFound('recipe.notFound', `the recipe of action ${a.id} no longer exists`);
    const body: Record<string, unknown> = {
      id: String(a.id),
      recipe: {
        id: String(r.id),
        name: r.name,
        version: r.version,
        lifecycle: r.lifecycle,
        published: r.published,
      },
      handling: JSON.parse(a.handling),
      status: a.status,
      _links: {
        recipeFile: { href: controllerUrl(ctx, `recipes/${r.id}/file`) },
        signatures: { href: controllerUrl(ctx, `recipes/${r.id}/signatures`) },
        feedback: { href: controllerUrl(ctx, `systemUpdate/${a.id}/feedback`) },
      },
    };
    if (a.maintenance_window) {
      const w = JSON.parse(a.maintenance_window) as MaintenanceWindow;
      body.maintenanceWindow = { ...w, nextStartAt: windowState(w, ctx.app.clock.now()).nextStartAt };
    }
    sendJson(ctx.res, 200, body);
  }),
  post('/:tenant/controller/v1/:controllerId/systemUpdate/:actionId/feedback', async (ctx) => {
    const t = authenticateGateway(ctx, true);
    const f = parseFeedback(await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    const a = actionOf(ctx, t, ctx.params.actionId, 'systemUpdate');
    const outcome = ctx.app.db.transaction(() =>
      recordFeedback(ctx.app, a, f, 'systemUpdate', f.offline === true, `controller:${t.controller_id}`),
    )();
    sendJson(ctx.res, 200, { recorded: outcome !== 'duplicate' });
  }),
  post('/:tenant/controller/v1/:controllerId/offlineFeedback', async (ctx) => {
    const t = authenticateGateway(ctx, true);
    const body = checkShape<{ records: { actionId: string }[] }>(
      OFFLINE,
      await readJson(ctx.req, ctx.app.config.jsonBodyLimit),
    );
    const records = body.records.map((r, i) => ({
      action: actionOf(ctx, t, r.actionId, 'systemUpdate'),
      feedback: parseFeedback(r, `records[${i}]`) as Feedback,
    }));
    const counts = { recorded: 0, duplicates: 0, history: 0 };
    ctx.app.db.transaction(() => {
      for (const r of records) {
        const o = recordFeedback(
          ctx.app,
          r.action,
          r.feedback,
          'systemUpdate',
          true,
          `controller:${t.controller_id}`,
        );
        if (o === 'duplicate') counts.duplicates++;
        else if (o === 'history') counts.history++;
        else counts.recorded++;
      }
    })();
    sendJson(ctx.res, 200, counts);
  }),
];
