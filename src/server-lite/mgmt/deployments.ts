/**
 * Plain DDI deployments (`POST distributionsets/{id}/assignedTargets` `[{id: controllerId, type?}]`), so
 * stock hawkBit clients can be tested. A target has at most one open action of either kind (409).
 */
import { mgmtUrl } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { CONTROLLER_ID } from '../domain/targets.js';
import { tenantValue } from '../domain/tenant-config.js';
import { readJson } from '../http/body.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import { sendJson } from '../http/respond.js';
import { post, type Route } from '../http/route.js';
import { checkShape, S } from '../http/shape.js';
import { insertAction, openActionOf } from '../store/actions.js';
import { findTarget } from '../store/targets.js';
import { isComplete, loadSet } from './distribution-sets.js';

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

export const deploymentRoutes: Route[] = [
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
        const t = findTarget(db, entry.id);
        if (!t) throw notFound('target.notFound', `[${i}].id: target ${entry.id} does not exist`);
        const open = openActionOf(db, t.id);
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
        const id = insertAction(db, {
          targetId: t.id,
          kind: 'deployment',
          dsId: ds.id,
          handling: JSON.stringify(handling),
          maintenanceWindow: window ? JSON.stringify(window) : null,
          createdBy: user.name,
          createdAt: ctx.app.clock.now(),
        });
        return { id, cid: t.controller_id };
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
