/** `tenant/configs`: read every key (secrets only for ADMIN), `PUT tenant/configs/{key}` `{value}` (ADMIN). */
import type { Ctx } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { allows } from '../auth/roles.js';
import { runMatchJob } from '../domain/match-job.js';
import {
  isTenantKey,
  resetTenantValue,
  storeTenantValue,
  TENANT_KEYS,
  TENANT_SCHEMAS,
  type TenantKey,
  tenantIsDefault,
  tenantValue,
} from '../domain/tenant-config.js';
import { readJson } from '../http/body.js';
import { notFound } from '../http/errors.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import { del, get, put, type Route } from '../http/route.js';
import { checkShape, S } from '../http/shape.js';

function entry(ctx: Ctx, key: TenantKey, admin: boolean) {
  const value = tenantValue(ctx.app, key);
  const secret = key === 'gatewayToken' && value !== null && !admin;
  return { value: secret ? '[redacted]' : value, global: tenantIsDefault(ctx.app, key) };
}

function keyOf(ctx: Ctx): TenantKey {
  const key = ctx.params.key ?? '';
  if (!isTenantKey(key)) throw notFound('tenantconfig.unknownKey', `unknown tenant configuration key ${key}`);
  return key;
}

export const tenantConfigRoutes: Route[] = [
  get('/rest/v1/tenant/configs', (ctx) => {
    const user = requireRole(ctx, 'READ');
    const admin = allows(user.roles, 'ADMIN');
    sendJson(ctx.res, 200, Object.fromEntries(TENANT_KEYS.map((k) => [k, entry(ctx, k, admin)])));
  }),
  get('/rest/v1/tenant/configs/:key', (ctx) => {
    const user = requireRole(ctx, 'READ');
    sendJson(ctx.res, 200, entry(ctx, keyOf(ctx), allows(user.roles, 'ADMIN')));
  }),
  put('/rest/v1/tenant/configs/:key', async (ctx) => {
    const user = requireRole(ctx, 'ADMIN');
    const key = keyOf(ctx);
    const body = checkShape<{ value: unknown }>(
      S.object({ value: TENANT_SCHEMAS[key] }, ['value']),
      await readJson(ctx.req, ctx.app.config.jsonBodyLimit),
    );
    ctx.app.db.transaction(() => {
      storeTenantValue(ctx.app, key, body.value, user.name);
      // version properties change how every recipe compares: match again
      if (key === 'soup.systemreport.version.property.names') runMatchJob(ctx.app, null, user.name);
    })();
    sendJson(ctx.res, 200, entry(ctx, key, true));
  }),
  del('/rest/v1/tenant/configs/:key', (ctx) => {
    requireRole(ctx, 'ADMIN');
    const key = keyOf(ctx);
    resetTenantValue(ctx.app, key);
    sendEmpty(ctx.res, 204);
  }),
];
