/**
 * The web console's routes, on server-lite's own port: the built assets under `/console/`, who the
 * signed-in user is and what they may do (`/console/api/me`, HTTP Basic against server-lite's users),
 * and a server-sent-events stream of changes (`/console/api/changes`) for the live views. Everything
 * else the console shows and does goes through the Management API (`/rest/v1`).
 */
import type { Ctx } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { LIFECYCLE_TABLE, TRANSITIONS, type Transition } from '../domain/lifecycle.js';
import { allows, ROLES, type Role } from '../domain/roles.js';
import { ApiError } from '../http/errors.js';
import { sendJson } from '../http/respond.js';
import { get, head, type Route } from '../http/route.js';
import { serveAsset } from './assets.js';
import { type Change, changeFeedOf } from './changes.js';

/** Seconds between keep-alive comments on an idle change stream (proxies drop silent connections). */
const HEARTBEAT_MS = 15_000;

function me(ctx: Ctx) {
  const user = requireRole(ctx, 'READ');
  const grants = Object.fromEntries(ROLES.map((r) => [r, allows(user.roles, r)])) as Record<Role, boolean>;
  const transitions = Object.fromEntries(
    TRANSITIONS.map((t) => [t, allows(user.roles, LIFECYCLE_TABLE[t].role)]),
  ) as Record<Transition, boolean>;
  return { name: user.name, roles: user.roles, grants, transitions };
}

/**
 * Whether the request asks for an event stream (`Accept: text/event-stream`, as the console's reader
 * and every EventSource send). Any other client gets 406: a response that never ends would otherwise
 * hold one of its pooled connections for good, and its later requests would queue behind it.
 */
function acceptsEventStream(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept
    .split(',')
    .some((range) => (range.split(';')[0] as string).trim().toLowerCase() === 'text/event-stream');
}

function changes(ctx: Ctx): void {
  requireRole(ctx, 'READ');
  const { req, res } = ctx;
  if (!acceptsEventStream(req.headers.accept))
    throw new ApiError(
      406,
      'soup.console.notAcceptable',
      'the change stream is text/event-stream: send Accept: text/event-stream',
    );
  const feed = changeFeedOf(ctx.app);
  const send = (change: Change) => res.write(`event: change\ndata: ${JSON.stringify(change)}\n\n`);
  const unsubscribe = feed.subscribe(send);
  if (!unsubscribe)
    throw new ApiError(503, 'soup.console.busy', 'too many live views are open; try again later', undefined, {
      'retry-after': '10',
    });
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.write('retry: 2000\n: connected\n\n');
  const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  const close = () => {
    clearInterval(heartbeat);
    unsubscribe();
  };
  req.once('close', close);
  res.once('close', close);
}

function asset(ctx: Ctx): void {
  serveAsset(ctx, ctx.params['*'] || 'index.html');
}

export const consoleRoutes: Route[] = [
  get('/', (ctx) => {
    ctx.res.writeHead(302, { location: '/console/' });
    ctx.res.end();
  }),
  get('/console', (ctx) => serveAsset(ctx, 'index.html')),
  get('/console/api/me', (ctx) => sendJson(ctx.res, 200, me(ctx), { 'cache-control': 'no-store' })),
  get('/console/api/changes', changes),
  get('/console/*', asset),
  head('/console/*', asset),
];
