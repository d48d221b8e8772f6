/**
 * `POST /oauth/token` (RFC 6749 §4.4, client credentials): client id/secret from the form body or HTTP
 * Basic; answers `{access_token, token_type: "Bearer", expires_in, scope}`. Tokens are random, stored
 * hashed (they survive a restart), valid for `tokenTtlSeconds`. Errors carry RFC 6749's `error` as well
 * as server-lite's `errorCode`.
 */
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../app.js';
import { readRaw } from '../http/body.js';
import { ApiError } from '../http/errors.js';
import { sendJson } from '../http/respond.js';
import { post, type Route } from '../http/route.js';
import { storeToken } from '../store/oauth-tokens.js';
import { sameSecret, sha256Hex } from './secret.js';

function oauthError(status: number, error: string, message: string): ApiError {
  return new ApiError(status, `soup.oauth.${error}`, message, { error, error_description: message });
}

function params(ctx: Ctx, raw: Buffer): URLSearchParams {
  const type = (ctx.req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('application/json')) {
    try {
      const v = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      return new URLSearchParams(Object.entries(v).map(([k, x]): [string, string] => [k, String(x)]));
    } catch {
      throw oauthError(400, 'invalid_request', 'malformed JSON body');
    }
  }
  return new URLSearchParams(raw.toString('utf8'));
}

export const oauthRoutes: Route[] = [
  post('/oauth/token', async (ctx) => {
    const p = params(ctx, await readRaw(ctx.req, 16 * 1024));
    let clientId = p.get('client_id');
    let clientSecret = p.get('client_secret');
    const basic = /^Basic\s+(\S+)$/i.exec(ctx.req.headers.authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      clientId = decodeURIComponent(i < 0 ? decoded : decoded.slice(0, i));
      clientSecret = decodeURIComponent(i < 0 ? '' : decoded.slice(i + 1));
    }
    if (p.get('grant_type') !== 'client_credentials')
      throw oauthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
    const client = ctx.app.config.clients.find((c) => c.clientId === clientId);
    if (!client || clientSecret === null || !sameSecret(client.clientSecret, clientSecret))
      throw oauthError(401, 'invalid_client', 'unknown client or wrong secret');
    const asked = (p.get('scope') ?? '').split(' ').filter((s) => s !== '');
    const denied = asked.filter((s) => !client.scopes.includes(s));
    if (denied.length > 0)
      throw oauthError(
        400,
        'invalid_scope',
        `scope ${denied.join(' ')} is not granted to ${client.clientId}`,
      );
    const scope = (asked.length > 0 ? asked : client.scopes).join(' ');
    const token = randomBytes(32).toString('base64url');
    const ttl = ctx.app.config.tokenTtlSeconds;
    const now = ctx.app.clock.now();
    storeToken(
      ctx.app.db,
      sha256Hex(token),
      { client_id: client.clientId, scope, expires_at: now + ttl * 1000 },
      now,
    );
    sendJson(
      ctx.res,
      200,
      { access_token: token, token_type: 'Bearer', expires_in: ttl, scope },
      { 'cache-control': 'no-store', pragma: 'no-cache' },
    );
  }),
];
