/**
 * The agent's connections to its backend: one keep-alive connection pool for `http:` and one for `https:`,
 * on Node's own HTTP client (`node:http`, `node:https`).
 *
 * Why Node's client and not undici: loading undici's index costs about 10 MiB more resident memory than
 * Node's HTTP client (it loads fetch, WebSocket, cache stores, HTTP/2 and a WebAssembly HTTP parser), which
 * is a good part of an idle agent's budget on a small gateway (`bench/idle.ts`, docs/footprint.md). Node's
 * parser is native, needs no WebAssembly, and its response streams pause the socket under backpressure
 * whatever the response's framing.
 *
 * A transport carries the TLS client certificate and CA of `server.auth` (`agent/net/auth.ts`); without them, the
 * shared default transport is used. Sockets kept alive follow the server's `Keep-Alive: timeout` hint.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

export interface TlsMaterial {
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
}

export interface Transport {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
}

/** How long an unused keep-alive socket is kept (unless the server's hint is shorter). */
const FREE_SOCKET_MS = 15_000;

const pooled = { keepAlive: true, timeout: FREE_SOCKET_MS };

export function createTransport(tls: TlsMaterial = {}): Transport {
  return {
    http: new HttpAgent(pooled),
    https: new HttpsAgent({
      ...pooled,
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
      ...(tls.ca ? { ca: tls.ca } : {}),
    }),
  };
}

let shared: Transport | undefined;

/** The transport of requests that carry no TLS material of their own. */
export function defaultTransport(): Transport {
  shared ??= createTransport();
  return shared;
}

/** Closes the pooled sockets (idle ones at once, busy ones when their request ends). */
export function closeTransport(transport: Transport): void {
  transport.http.destroy();
  transport.https.destroy();
}
