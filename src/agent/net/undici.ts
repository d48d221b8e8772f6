/**
 * The agent's HTTP client: the parts of undici's public API it uses, named in one place.
 *
 * Only undici's exports (its index), never its internal modules: those move between releases. Loading the
 * index costs resident memory beyond the dispatcher itself (fetch, WebSocket, cache stores, HTTP/2 —
 * `bench/update-rss.ts` and `bench/idle.ts` measure the whole agent with it).
 *
 * Also here, because it concerns undici's parser: undici parses HTTP/1 with llhttp compiled to WebAssembly.
 * V8 compiles it with its baseline compiler (Liftoff), then re-compiles the functions it finds hot with its
 * optimising compiler (TurboFan). For an agent that polls, that tier-up happens between polls, and it is
 * what an idle agent spends: measured over 60 s of idle polling every 10 s (`bench/idle.ts`, the unit's
 * node options), 84.9 MiB RSS and 0.05 % CPU on the baseline tier against 94.0 MiB and 0.13 % with tier-up
 * (docs/footprint.md). The parser only frames bodies, so a download is no slower. These V8 flags cannot be
 * given in NODE_OPTIONS, hence set here at run time; they apply to modules compiled afterwards, and llhttp
 * is compiled on undici's first connection.
 */
import { setFlagsFromString } from 'node:v8';
import { interceptors } from 'undici';

setFlagsFromString('--no-wasm-dynamic-tiering');
setFlagsFromString('--no-wasm-tier-up');

export { Agent, getGlobalDispatcher, request } from 'undici';

/** undici's redirect interceptor (`dispatcher.compose(redirectInterceptor({ maxRedirections }))`). */
export const redirectInterceptor = interceptors.redirect;
