/**
 * A streaming request over undici's dispatcher API, with backpressure that cannot crash the process.
 *
 * Why not `undici.request()`: undici ≤ 7.x asserts `!this.paused` in its HTTP/1 parser when a response
 * without keep-alive (`Connection: close`, or a body delimited by closing) ends or is reset while the
 * body is paused by backpressure (nodejs/undici#5360) — an uncatchable AssertionError from a socket
 * handler. undici 8 no longer crashes there, but such a body, paused when its connection closes, never
 * ends (tried with undici 8.14: the closing-response tests of `body-stream.test.ts` time out when every
 * response is paused). So:
 *   - keep-alive responses: the parser is paused above HIGH_WATER bytes queued and resumed below LOW_WATER
 *     (bounded memory, the socket stops being read, TCP flow control slows the sender);
 *   - responses that may end by closing: the parser is never paused; above MAX_UNPAUSED bytes queued the
 *     request is aborted with a retryable `ReceiveOverflow` (the caller resumes with a Range request).
 * Memory stays bounded either way.
 *
 * Received bytes are copied at once into recycled 256 KiB slabs, so undici's socket buffers die young
 * (queued socket buffers would survive scavenges, reach the old generation and pile up as resident memory
 * until a full GC). The body yields views into those slabs: a view is valid until the next step of the
 * iteration; copy what you keep. Received bytes also pace young-generation collections (`scavenge.ts`), which
 * free the socket buffers they came in.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { noteReceived } from './scavenge.js';

const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
const MAX_UNPAUSED = 16 * 1024 * 1024;
const MAX_DRAIN = 1024 * 1024;
const SLAB = 256 * 1024;
const KEEP_FREE_SLABS = 6;

interface Slab {
  buf: Buffer;
  /** Bytes received into the slab. */
  write: number;
  /** Bytes handed to the consumer. */
  read: number;
}

export interface StreamRequest {
  url: string;
  /** Default GET. */
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  body?: string | Buffer;
  headers: Record<string, string>;
  signal?: AbortSignal;
  headersTimeout: number;
  bodyTimeout: number;
}

export interface StreamResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /**
   * The body, chunk by chunk; iterate once. Each chunk is a view valid until the next step of the loop.
   * Leaving the loop early aborts the request.
   */
  body: AsyncIterable<Buffer>;
  /** Reads and drops a small body (keeps the connection), aborts a large one. */
  dump(): Promise<void>;
}

/** The connection could not be paused and the consumer fell too far behind. Retryable. */
export class ReceiveOverflow extends Error {
  constructor() {
    super(`more than ${MAX_UNPAUSED} bytes waiting on a connection that cannot be paused`);
  }
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** A response may end by closing the connection: undici's parser must not be paused then. */
function mayEndByClosing(headers: IncomingHttpHeaders): boolean {
  const connection = (headerValue(headers, 'connection') ?? '').toLowerCase();
  if (connection.split(',').some((t) => t.trim() === 'close')) return true;
  const chunked = (headerValue(headers, 'transfer-encoding') ?? '').toLowerCase().includes('chunked');
  return !chunked && headers['content-length'] === undefined;
}

export function requestStream(dispatcher: Dispatcher, req: StreamRequest): Promise<StreamResponse> {
  const url = new URL(req.url);
  return new Promise<StreamResponse>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let started = false;
    let pausable = true;
    let queued = 0;
    const slabs: Slab[] = [];
    const freeSlabs: Buffer[] = [];
    let ended = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const onAbort = () => controller?.abort(req.signal?.reason ?? new Error('aborted'));
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => req.signal?.removeEventListener('abort', onAbort);

    const receive = (chunk: Buffer) => {
      let at = 0;
      while (at < chunk.length) {
        let tail = slabs.at(-1);
        if (tail === undefined || tail.write === tail.buf.length) {
          tail = { buf: freeSlabs.pop() ?? Buffer.allocUnsafeSlow(SLAB), write: 0, read: 0 };
          slabs.push(tail);
        }
        const n = chunk.copy(tail.buf, tail.write, at);
        tail.write += n;
        at += n;
      }
      queued += chunk.length;
    };

    async function* body(): AsyncGenerator<Buffer> {
      let finished = false;
      let done: Buffer | undefined;
      try {
        for (;;) {
          // the consumer is through with the previous view: its slab may be reused
          if (done !== undefined && freeSlabs.length < KEEP_FREE_SLABS) freeSlabs.push(done);
          done = undefined;
          const head = slabs[0];
          if (head !== undefined && head.read < head.write) {
            const view = head.buf.subarray(head.read, head.write);
            head.read = head.write;
            queued -= view.length;
            if (head.read === head.buf.length) {
              slabs.shift();
              done = head.buf;
            }
            if (controller?.paused && queued <= LOW_WATER) controller.resume();
            yield view;
            continue;
          }
          if (failure) throw failure;
          if (ended) {
            finished = true;
            return;
          }
          await new Promise<void>((r) => {
            wake = r;
          });
        }
      } finally {
        if (!finished && !ended && failure === undefined) controller?.abort(new Error('body not consumed'));
      }
    }

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (req.signal?.aborted) c.abort(req.signal.reason ?? new Error('aborted'));
      },
      onResponseStart(_c, statusCode, headers) {
        if (statusCode < 200) return;
        started = true;
        pausable = !mayEndByClosing(headers);
        const iterable = body();
        resolve({
          statusCode,
          headers,
          body: iterable,
          dump: async () => {
            let drained = 0;
            for await (const chunk of iterable) {
              drained += chunk.length;
              if (drained > MAX_DRAIN) break;
            }
          },
        });
      },
      onResponseData(c, chunk) {
        receive(chunk);
        noteReceived(chunk.length);
        if (pausable) {
          if (queued >= HIGH_WATER && !c.paused) c.pause();
        } else if (queued > MAX_UNPAUSED) {
          c.abort(new ReceiveOverflow());
        }
        notify();
      },
      onResponseEnd() {
        ended = true;
        settle();
        notify();
      },
      onResponseError(_c, err) {
        failure = err;
        settle();
        if (!started) reject(err);
        notify();
      },
    };

    dispatcher.dispatch(
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: req.method ?? 'GET',
        headers: req.headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
        headersTimeout: req.headersTimeout,
        bodyTimeout: req.bodyTimeout,
      },
      handler,
    );
  });
}
