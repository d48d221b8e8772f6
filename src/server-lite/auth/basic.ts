/** Management API authentication: HTTP Basic against the configured users; roles per route. */
import type { Ctx, User } from '../app.js';
import { forbidden, unauthorized } from '../http/errors.js';
import { allows, type Role } from './roles.js';
import { sameSecret } from './secret.js';

const cache = new WeakMap<Ctx, User>();

function authenticate(ctx: Ctx): User {
  const known = cache.get(ctx);
  if (known) return known;
  const header = ctx.req.headers.authorization;
  const m = header ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header) : null;
  if (!m) throw unauthorized('Basic authentication required');
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const name = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  const user = ctx.app.config.users.find((u) => u.name === name);
  if (!user || !sameSecret(user.password, password)) throw unauthorized('invalid user name or password');
  const found = { name: user.name, roles: user.roles };
  cache.set(ctx, found);
  return found;
}

/** The authenticated user holding `role` (401 without valid credentials, 403 without the role). */
export function requireRole(ctx: Ctx, role: Role): User {
  const user = authenticate(ctx);
  if (!allows(user.roles, role)) throw forbidden(`user ${user.name} lacks the role ${role}`);
  return user;
}
