/**
 * The agent's HTTP client: the parts of undici's public API it uses, named in one place. Owner: agent-net.
 *
 * Only undici's exports (its index), never its internal modules: those move between releases. Loading the
 * index costs resident memory beyond the dispatcher itself (fetch, WebSocket, cache stores, HTTP/2 —
 * `bench/update-rss.ts` and `bench/idle.ts` measure the whole agent with it).
 */
import { interceptors } from 'undici';

export { Agent, getGlobalDispatcher, request } from 'undici';

/** undici's redirect interceptor (`dispatcher.compose(redirectInterceptor({ maxRedirections }))`). */
export const redirectInterceptor = interceptors.redirect;
