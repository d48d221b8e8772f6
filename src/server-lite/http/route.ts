/** A route: method, path pattern (find-my-way syntax) and handler. Each resource file exports a list. */
import type { Handler } from '../app.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

export interface Route {
  method: Method;
  path: string;
  handler: Handler;
}

export const get = (path: string, handler: Handler): Route => ({ method: 'GET', path, handler });
export const head = (path: string, handler: Handler): Route => ({ method: 'HEAD', path, handler });
export const post = (path: string, handler: Handler): Route => ({ method: 'POST', path, handler });
export const put = (path: string, handler: Handler): Route => ({ method: 'PUT', path, handler });
export const del = (path: string, handler: Handler): Route => ({ method: 'DELETE', path, handler });
