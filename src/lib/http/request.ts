/**
 * One HTTP exchange with a streamed response body, on a transport's pooled connections (`transport.ts`).
 *
 *   - `headersTimeout`: no response head this long after the request was sent → `HttpTimeout`;
 *   - `bodyTimeout`: no body byte this long while the consumer waits for one → `HttpTimeout` (time the
 *     consumer spends on a chunk does not count: a paused body is not a stalled server);
 *   - `signal` aborts the exchange at any point, with the signal's reason;
 *   - `maxRedirections` (default 0): 301/302/303/307/308 with a `Location` are followed that many times;
 *     a redirect to another origin drops `authorization` and `cookie`, so credentials never travel to a
 *     host they were not meant for; 303 turns into a GET without a body; a request whose body is a stream
 *     is not sent again (its 3xx is the answer);
 *   - the body is read with backpressure (`body-reader.ts`): the socket is not read while the consumer is
 *     behind, whatever the response's framing (Node's parser handles a body delimited by the connection's
 *     close); each chunk is valid until the consumer asks for the next one;
 *   - a body cut short (the connection closed before `Content-Length` or the last chunk) ends in an error.
 * Header sizes are bounded by Node's parser (16 KiB).
 */
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { type BodyReader, readBody } from './body-reader.js';
import { nodeHttp, nodeHttps } from './builtins.js';
import { HttpTimeout } from './timeout.js';
import type { Transport } from './transport.js';

export { HttpTimeout };

/** A small body is read and dropped (the connection kept for the next request); a larger one is cut off. */
const MAX_DRAIN = 1024 * 1024;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface StreamRequest {
  url: string;
  /** Default GET. */
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  /** A stream is sent as it is read; its caller sets `content-length` (else the body is chunked). */
  body?: string | Buffer | Readable;
  headers: Record<string, string>;
  signal?: AbortSignal;
  headersTimeout: number;
  bodyTimeout: number;
  /** Redirects followed (default 0: a 3xx is the answer). */
  maxRedirections?: number;
}

export interface StreamResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** The URL that answered (after redirects). */
  url: string;
  /**
   * The body, chunk by chunk; iterate once. A chunk is a view valid until the next step of the loop: copy
   * what you keep. Leaving the loop early drops the connection.
   */
  body: AsyncIterable<Buffer>;
  /** Reads and drops a small body (keeps the connection), drops the connection for a large one. */
  dump(): Promise<void>;
  /**
   * The whole body in one buffer, or undefined when it is longer than `max` bytes: refused on its
   * `Content-Length` before reading, else cut off at the cap; either way the connection is dropped.
   */
  bytes(max: number): Promise<Buffer | undefined>;
}

export async function requestStream(transport: Transport, req: StreamRequest): Promise<StreamResponse> {
  let url = new URL(req.url);
  let method = req.method ?? 'GET';
  let body = req.body;
  const headers = { ...req.headers };
  for (let left = req.maxRedirections ?? 0; ; left--) {
    const res = await exchange(transport, url, method, headers, body, req);
    const location = res.headers.location;
    if (left <= 0 || !REDIRECTS.has(res.statusCode) || location === undefined) return res;
    // a stream was sent as it was read: there is nothing left to send again
    if (isStream(body)) return res;
    await res.dump();
    const next = new URL(location, url);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') return res;
    if (next.origin !== url.origin) {
      delete headers.authorization;
      delete headers.cookie;
    }
    if (res.statusCode === 303 && method !== 'HEAD') {
      method = 'GET';
      body = undefined;
      delete headers['content-type'];
    }
    url = next;
  }
}

function exchange(
  transport: Transport,
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: StreamRequest['body'],
  req: StreamRequest,
): Promise<StreamResponse> {
  const { signal } = req;
  return new Promise<StreamResponse>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const tls = url.protocol === 'https:';
    if (!tls && url.protocol !== 'http:') {
      reject(new TypeError(`unsupported protocol ${url.protocol}`));
      return;
    }
    const outgoing: Record<string, string> = { ...headers };
    if (body !== undefined && !isStream(body)) outgoing['content-length'] = String(Buffer.byteLength(body));
    const options = {
      method,
      headers: outgoing,
      agent: tls ? transport.https : transport.http,
    };
    const client: ClientRequest = tls ? nodeHttps.request(url, options) : nodeHttp.request(url, options);
    let settled = false;
    let response: IncomingMessage | undefined;
    let reader: BodyReader | undefined;
    // the body's reader sees this error first (not the socket's "aborted" that follows), even when the
    // response or the connection is already gone
    const fail = (err: Error) => {
      reader?.stop(err);
      if (response !== undefined && !response.destroyed) response.destroy(err);
      if (!client.destroyed) client.destroy(err);
    };
    const onAbort = () => fail(abortReason(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => signal?.removeEventListener('abort', onAbort);
    const headTimer = setTimeout(
      () => fail(new HttpTimeout(`no response head within ${req.headersTimeout} ms`)),
      req.headersTimeout,
    );
    client.once('error', (err) => {
      clearTimeout(headTimer);
      done();
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
    client.once('response', (res: IncomingMessage) => {
      clearTimeout(headTimer);
      settled = true;
      response = res;
      // an error after this point reaches the consumer through the body
      client.on('error', () => undefined);
      res.once('close', done);
      reader = readBody(res, req.bodyTimeout, fail);
      const iterable = reader.chunks;
      resolve({
        statusCode: res.statusCode ?? 0,
        headers: res.headers,
        url: url.href,
        body: iterable,
        dump: async () => {
          let drained = 0;
          try {
            for await (const chunk of iterable) {
              drained += chunk.length;
              if (drained > MAX_DRAIN) break;
            }
          } catch {
            // the connection is gone either way
          }
        },
        bytes: async (max) => {
          const declared = Number(res.headers['content-length']);
          if (Number.isFinite(declared) && declared > max) {
            fail(new Error('body not wanted'));
            return undefined;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          for await (const chunk of iterable) {
            size += chunk.length;
            if (size > max) return undefined; // leaving the loop drops the connection
            chunks.push(Buffer.from(chunk)); // the view is reused after this step
          }
          return Buffer.concat(chunks);
        },
      });
    });
    if (isStream(body)) {
      body.once('error', fail);
      body.pipe(client);
    } else client.end(body);
  });
}

function isStream(body: StreamRequest['body']): body is Readable {
  return body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body);
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  const err = new Error('aborted');
  err.name = 'AbortError';
  return err;
}
