/**
 * A route: method, path pattern (find-my-way syntax), handler and the limit of its request body. Each
 * resource file exports a list; `routes.ts` joins them.
 */
import type { Handler } from '../app.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** Which configured limit bounds a route's request body: `json` (jsonBodyLimit) or `artifact` (artifactLimit). */
export type BodyLimit = 'json' | 'artifact';

export interface Route {
  method: Method;
  path: string;
  handler: Handler;
  /** Default `json`: a declared Content-Length above the limit is 413 before the handler runs. */
  body?: BodyLimit;
}

export const get = (path: string, handler: Handler): Route => ({ method: 'GET', path, handler });
export const head = (path: string, handler: Handler): Route => ({ method: 'HEAD', path, handler });
export const post = (path: string, handler: Handler): Route => ({ method: 'POST', path, handler });
export const put = (path: string, handler: Handler): Route => ({ method: 'PUT', path, handler });
export const del = (path: string, handler: Handler): Route => ({ method: 'DELETE', path, handler });
