/**
 * Install API authentication (`install-api.md`): `TargetToken` (the controller's own token),
 * `GatewayToken` (tenant-wide), `Bearer` (OAuth2 client credentials from `POST /oauth/token`), a TLS
 * client certificate whose CN is the controllerId, or anonymous when enabled. Unknown controllers are
 * registered on first contact when `autoRegister` is on (not with a TargetToken, which names an
 * existing target). A TargetToken of another controller is 401, revealing nothing. Every request
 * then counts against the rate limit of its (credential, controllerId).
 */
import type { TLSSocket } from 'node:tls';
import type { Ctx } from '../app.js';
import { isControllerId, registerTarget } from '../domain/targets.js';
import { tenantValue } from '../domain/tenant-config.js';
import { notFound, unauthorized } from '../http/errors.js';
import { findToken } from '../store/oauth-tokens.js';
import { findGateway, type GatewayRow } from '../store/targets.js';
import { sameSecret, sha256Hex } from './secret.js';

/** The tenant of the path must be server-lite's tenant (case-insensitive as in hawkBit). */
export function checkTenant(ctx: Ctx): void {
  if ((ctx.params.tenant ?? '').toLowerCase() !== ctx.app.config.tenant.toLowerCase())
    throw notFound('tenant.notFound', `tenant ${ctx.params.tenant} does not exist`);
}

function peerCn(ctx: Ctx): string | undefined {
  const socket = ctx.req.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return undefined;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}

export function authenticateGateway(ctx: Ctx, write: boolean): GatewayRow {
  checkTenant(ctx);
  const { app } = ctx;
  const cid = ctx.params.controllerId ?? '';
  const header = ctx.req.headers.authorization ?? '';
  const space = header.indexOf(' ');
  const scheme = space < 0 ? header : header.slice(0, space);
  const secret = space < 0 ? '' : header.slice(space + 1).trim();
  let credential: string;
  let mayRegister = tenantValue(app, 'autoRegister');
  let target = findGateway(app.db, cid);
  switch (scheme.toLowerCase()) {
    case 'targettoken':
      if (!target || !sameSecret(target.security_token, secret)) throw unauthorized('invalid target token');
      credential = `target:${cid}`;
      mayRegister = false;
      break;
    case 'gatewaytoken': {
      const token = tenantValue(app, 'gatewayToken');
      if (token === null || !sameSecret(token, secret)) throw unauthorized('invalid gateway token');
      credential = `gateway:${sha256Hex(secret).slice(0, 16)}`;
      break;
    }
    case 'bearer': {
      const row = findToken(app.db, sha256Hex(secret));
      if (!row || row.expires_at <= app.clock.now()) throw unauthorized('invalid or expired access token');
      credential = `client:${row.client_id}`;
      break;
    }
    case '': {
      const cn = peerCn(ctx);
      if (cn !== undefined && cn === cid) credential = `tls:${cn}`;
      else if (app.config.anonymous) credential = 'anonymous';
      else
        throw unauthorized(
          'authentication required (TargetToken, GatewayToken, Bearer or client certificate)',
        );
      break;
    }
    default:
      throw unauthorized(`unsupported authorization scheme ${scheme}`);
  }
  if (!target) {
    if (!mayRegister) throw notFound('target.notFound', `target ${cid} is not registered`);
    if (!isControllerId(cid)) throw notFound('target.notFound', `controller id ${cid} is not valid`);
    registerTarget(app, { controllerId: cid }, credential);
    target = findGateway(app.db, cid) as GatewayRow;
  }
  app.rateLimiter.hit(credential, cid, write);
  return target;
}
