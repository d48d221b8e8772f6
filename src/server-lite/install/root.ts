/**
 * `GET /{tenant}/controller/v1/{controllerId}`: the poll. `config.polling.sleep` and links only for what
 * is pending: `deploymentBase` / `systemUpdate` (open action), `cancelAction` (cancel requested),
 * `installedBase` (last successful plain deployment), `configData` (no attributes yet), `systemReport`
 * (first contact, after a finished system update, or requested).
 */
import { createHash } from 'node:crypto';
import { authenticateGateway } from '../auth/install-auth.js';
import { installedDeploymentOf } from '../domain/actions.js';
import { tenantValue } from '../domain/tenant-config.js';
import { sendJson } from '../http/respond.js';
import { get, type Route } from '../http/route.js';
import { openActionOf } from '../store/actions.js';
import { controllerUrl } from './links.js';

export const rootRoutes: Route[] = [
  get('/:tenant/controller/v1/:controllerId', (ctx) => {
    const t = authenticateGateway(ctx, false);
    const { app } = ctx;
    app.polls.record(
      t.id,
      t.last_poll_at,
      app.clock.now(),
      `http://${ctx.req.socket.remoteAddress ?? 'unknown'}`,
    );
    const links: Record<string, { href: string }> = {};
    const open = openActionOf(app.db, t.id);
    if (open?.cancel_requested === 1)
      links.cancelAction = { href: controllerUrl(ctx, `cancelAction/${open.id}`) };
    else if (open?.kind === 'deployment') {
      const c = createHash('sha1').update(`${open.id}:${open.handling}`).digest().readInt32BE(0);
      links.deploymentBase = { href: controllerUrl(ctx, `deploymentBase/${open.id}?c=${c}`) };
    } else if (open?.kind === 'systemUpdate')
      links.systemUpdate = { href: controllerUrl(ctx, `systemUpdate/${open.id}`) };
    const installed = installedDeploymentOf(app, t.id);
    if (installed) links.installedBase = { href: controllerUrl(ctx, `installedBase/${installed.id}`) };
    if (t.attributes === '{}') links.configData = { href: controllerUrl(ctx, 'configData') };
    if (t.report_requested === 1) links.systemReport = { href: controllerUrl(ctx, 'systemReport') };
    sendJson(ctx.res, 200, {
      config: { polling: { sleep: tenantValue(app, 'pollingSleep') } },
      _links: links,
    });
  }),
];
