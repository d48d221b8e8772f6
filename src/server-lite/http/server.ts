/**
 * The request pipeline: find-my-way routes every request to one handler; a declared body above the
 * route's limit is 413 before any handler runs (the connection is then closed, not drained); errors
 * become the JSON error body (`ApiError` as is, SOUP_E_NOT_BUILT → 501, anything else → 500 logged with
 * its stack).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import Router from 'find-my-way';
import { isSoupError } from '../../lib/errors.js';
import type { App, Ctx, Handler } from '../app.js';
import { ApiError } from './errors.js';
import { internalError, sendError } from './respond.js';
import type { BodyLimit, Route } from './route.js';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export function createListener(app: App, routes: Route[]): RequestListener {
  const router = Router({ ignoreTrailingSlash: true, maxParamLength: 1024 });
  const noop = () => undefined;
  const handlers: { handler: Handler; body: BodyLimit }[] = [];
  for (const r of routes) {
    handlers.push({ handler: r.handler, body: r.body ?? 'json' });
    router.on(r.method, r.path, noop, { index: handlers.length - 1 });
  }
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    let found: ReturnType<typeof router.find>;
    try {
      found = router.find((req.method ?? 'GET') as Router.HTTPMethod, path);
    } catch {
      found = null;
    }
    const fail = (err: unknown) => {
      if (err instanceof ApiError) {
        if (err.status >= 500) app.log.error({ err, method: req.method, path }, 'request failed');
        else
          app.log.debug(
            { status: err.status, errorCode: err.errorCode, method: req.method, path },
            err.message,
          );
        sendError(res, err);
        return;
      }
      if (isSoupError(err, 'SOUP_E_NOT_BUILT')) {
        sendError(res, new ApiError(501, 'soup.server.notBuilt', (err as Error).message));
        return;
      }
      app.log.error({ err, method: req.method, path }, 'request failed');
      sendError(res, internalError());
    };
    if (!found) {
      req.resume();
      fail(new ApiError(404, 'soup.request.notFound', `no resource ${req.method} ${path}`));
      return;
    }
    const route = handlers[(found.store as { index: number }).index] as (typeof handlers)[number];
    const limit = route.body === 'artifact' ? app.config.artifactLimit : app.config.jsonBodyLimit;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      // answer at once and drop the connection: reading a body that large only to discard it is the attack
      const [code, message] =
        route.body === 'artifact'
          ? ['soup.artifact.tooLarge', `artifact exceeds ${limit} bytes`]
          : ['soup.request.tooLarge', `request body of ${declared} bytes exceeds ${limit} bytes`];
      fail(new ApiError(413, code, message, undefined, { connection: 'close' }));
      return;
    }
    const ctx: Ctx = { app, req, res, params: found.params, query };
    try {
      const p = route.handler(ctx);
      if (p) p.catch(fail);
    } catch (err) {
      fail(err);
    }
  };
}
