/**
 * A thin JSON/bytes client for the Install API (`install-api.md`) over undici, for the engine. Owner: agent-net.
 *
 * Every request carries the auth headers; a `401` asks `auth.unauthorized()` and is retried once when
 * fresh credentials are possible. Statuses the caller lists in `accept` (default: any 2xx) come back as a
 * response; anything else is a SoupError `SOUP_E_HTTP` with `detail.status`:
 *   429 and 5xx/408 → retryable, `detail.retryAfterMs` from `Retry-After` when given
 *   network faults, timeouts → retryable, `detail.status` 0
 *   other statuses → not retryable (the caller branches on `detail.status`, e.g. 404 or 410)
 * Bodies are read up to `maxBytes` (default 16 MiB): these are API documents, not artifacts.
 * Messages name the method and the URL without its query.
 */
import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from '../../lib/clock.js';
import { SoupError } from '../../lib/errors.js';
import type { AuthProvider } from './auth.js';
import { requestStream, type StreamResponse } from './body-stream.js';
import { parseRetryAfter } from './polling.js';
import { redactUrl } from './redact.js';
import { getGlobalDispatcher } from './undici.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HttpClientOptions {
  auth: AuthProvider;
  dispatcher?: Dispatcher;
  clock?: Clock;
  /** No response head / no body byte for this long fails the request (default 30 s). */
  timeoutMs?: number;
  userAgent?: string;
}

export interface CallOptions {
  /** JSON request body. */
  json?: unknown;
  /** Statuses returned to the caller instead of thrown (default: 200–299). */
  accept?: number[];
  maxBytes?: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const DEFAULT_MAX = 16 * 1024 * 1024;

export class HttpClient {
  private readonly dispatcher: Dispatcher;
  private readonly clock: Clock;

  constructor(private readonly options: HttpClientOptions) {
    this.dispatcher = options.dispatcher ?? options.auth.dispatcher ?? getGlobalDispatcher();
    this.clock = options.clock ?? systemClock;
  }

  async call(method: HttpMethod, url: string, call: CallOptions = {}): Promise<HttpResponse> {
    const what = `${method} ${redactUrl(url)}`;
    for (let attempt = 0; ; attempt += 1) {
      const res = await this.once(method, url, call, what);
      if (res.status === 401 && attempt === 0 && !(call.accept ?? []).includes(401)) {
        if (await this.options.auth.unauthorized()) continue;
      }
      const accepted = call.accept ? call.accept.includes(res.status) : res.status >= 200 && res.status < 300;
      if (accepted) return res;
      const retryAfterMs = parseRetryAfter(headerOf(res.headers, 'retry-after'), this.clock.now());
      const retryable = res.status === 429 || res.status === 408 || res.status >= 500;
      const later = retryAfterMs !== undefined ? ` (retry after ${retryAfterMs} ms)` : '';
      throw new SoupError('SOUP_E_HTTP', `${what}: the server answered ${res.status}${later}`, {
        retryable,
        detail: {
          status: res.status,
          url: redactUrl(url),
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        },
      });
    }
  }

  async getJson<T = unknown>(
    url: string,
    call: Omit<CallOptions, 'json'> = {},
  ): Promise<{ status: number; body: T }> {
    const res = await this.call('GET', url, {
      ...call,
      headers: { accept: 'application/json', ...call.headers },
    });
    return { status: res.status, body: parseJson<T>(res, `GET ${redactUrl(url)}`) };
  }

  async sendJson<T = unknown>(
    method: 'POST' | 'PUT',
    url: string,
    json: unknown,
    call: Omit<CallOptions, 'json'> = {},
  ): Promise<{ status: number; body: T | undefined }> {
    const res = await this.call(method, url, {
      ...call,
      json,
      headers: { accept: 'application/json', ...call.headers },
    });
    return {
      status: res.status,
      body: res.body.length === 0 ? undefined : parseJson<T>(res, `${method} ${redactUrl(url)}`),
    };
  }

  async getBytes(url: string, call: Omit<CallOptions, 'json'> = {}): Promise<Buffer> {
    return (await this.call('GET', url, call)).body;
  }

  private async once(
    method: HttpMethod,
    url: string,
    call: CallOptions,
    what: string,
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...(await this.options.auth.headers()), ...call.headers };
    if (this.options.userAgent) headers['user-agent'] = this.options.userAgent;
    let body: string | undefined;
    if (call.json !== undefined) {
      body = JSON.stringify(call.json);
      headers['content-type'] = 'application/json';
    }
    const timeout = this.options.timeoutMs ?? 30_000;
    const max = call.maxBytes ?? DEFAULT_MAX;
    let res: StreamResponse;
    try {
      res = await requestStream(this.dispatcher, {
        url,
        method,
        headers,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        ...(body !== undefined ? { body } : {}),
        ...(call.signal ? { signal: call.signal } : {}),
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += chunk.length;
        if (size > max) {
          throw new SoupError('SOUP_E_HTTP', `${what}: the answer is larger than ${max} bytes`, {
            detail: { status: res.statusCode, url: redactUrl(url) },
          });
        }
        chunks.push(Buffer.from(chunk)); // the view is reused after this step
      }
      return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) };
    } catch (err) {
      if (err instanceof SoupError) throw err;
      if (call.signal?.aborted) throw new SoupError('SOUP_E_CANCELLED', `${what}: cancelled`, { cause: err });
      const code = (err as NodeJS.ErrnoException).code;
      const message = err instanceof Error ? (err.message.split('\n')[0] ?? err.name) : String(err);
      throw new SoupError('SOUP_E_HTTP', `${what}: ${message}${code ? ` (${code})` : ''}`, {
        retryable: true,
        cause: err,
        detail: { status: 0, url: redactUrl(url) },
      });
    }
  }
}

function headerOf(headers: HttpResponse['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function parseJson<T>(res: HttpResponse, what: string): T {
  try {
    return JSON.parse(res.body.toString('utf8')) as T;
  } catch {
    throw new SoupError('SOUP_E_HTTP', `${what}: the answer (${res.status}) is not JSON`, {
      detail: { status: res.status },
    });
  }
}
