/**
 * `node:http` and `node:https`, loaded with `require`.
 *
 * An ES module import of a built-in module reads every export to build its namespace, and `node:http`
 * exports `WebSocket`, `CloseEvent` and `MessageEvent` as getters that load Node's bundled undici (with
 * HTTP/2, zlib and web streams): about 10 MiB of resident memory for an agent that uses none of them
 * (measured: a process that imports `node:http` idles at 57.8 MiB, one that requires it at 47.8 MiB;
 * docs/footprint.md). `require` returns the module object and leaves its getters alone.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const nodeHttp = require('node:http') as typeof import('node:http');
export const nodeHttps = require('node:https') as typeof import('node:https');
