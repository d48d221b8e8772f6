/**
 * The agent's HTTP client: the parts of undici it uses, loaded without undici's index.
 *
 * Why not `import … from 'undici'`: the index loads every feature at once (fetch, WebSocket, EventSource,
 * the cache stores with their SQLite, mocks, HTTP/2, SOCKS): 18 MB of resident memory on top of a bare
 * `node`, where the dispatcher, `request` and the redirect interceptor cost 9.5 MB (see
 * `bench/download-rss.ts`, which prints both). These are undici's own modules, the ones its index
 * re-exports, so the behaviour is undici's; if a future undici moves them, the full index is loaded
 * instead (same API, more memory).
 *
 * Also here, because it concerns the same parser: undici parses HTTP/1 with llhttp compiled to WebAssembly.
 * V8 first compiles it with its baseline compiler (Liftoff), then re-compiles the hot parser function with
 * its optimising compiler (TurboFan) on a background thread; for llhttp's one large state-machine function
 * that compilation holds about 30 MB for a moment, the peak of a download's resident memory, and brings no
 * measurable throughput (the parser only frames the body; the bytes are copied, written and hashed
 * elsewhere). So the agent keeps WebAssembly on the baseline tier. The flags take effect for modules
 * compiled afterwards; llhttp is compiled on undici's first connection.
 */
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import type * as Undici from 'undici';

setFlagsFromString('--no-wasm-dynamic-tiering');
setFlagsFromString('--no-wasm-tier-up');

const require = createRequire(import.meta.url);

interface Parts {
  Agent: typeof Undici.Agent;
  getGlobalDispatcher: typeof Undici.getGlobalDispatcher;
  redirect: typeof Undici.interceptors.redirect;
}

function load(): Parts {
  try {
    // As undici's index does: the request/stream/pipeline methods on every dispatcher.
    const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
    Object.assign(Dispatcher.prototype, require('undici/lib/api/index.js'));
    return {
      Agent: require('undici/lib/dispatcher/agent.js') as Parts['Agent'],
      getGlobalDispatcher: (require('undici/lib/global.js') as Pick<Parts, 'getGlobalDispatcher'>)
        .getGlobalDispatcher,
      redirect: require('undici/lib/interceptor/redirect.js') as Parts['redirect'],
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    const full = require('undici') as typeof Undici;
    return {
      Agent: full.Agent,
      getGlobalDispatcher: full.getGlobalDispatcher,
      redirect: full.interceptors.redirect,
    };
  }
}

const parts = load();

export const Agent = parts.Agent;
export const getGlobalDispatcher = parts.getGlobalDispatcher;
export const redirectInterceptor = parts.redirect;

export type RequestOptions = Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path'> & {
  dispatcher?: Undici.Dispatcher;
};

/** `undici.request(url, options)`: one request on `options.dispatcher`, else the global dispatcher. */
export function request(url: string | URL, options: RequestOptions): Promise<Undici.Dispatcher.ResponseData> {
  const { dispatcher = getGlobalDispatcher(), ...rest } = options;
  const target = typeof url === 'string' ? new URL(url) : url;
  return dispatcher.request({ ...rest, origin: target.origin, path: `${target.pathname}${target.search}` });
}
