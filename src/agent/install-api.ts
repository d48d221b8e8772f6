/**
 * The Install API client (`install-api.md`): hawkBit DDI plus the SOUP resources, over undici. Every
 * request carries the auth provider's headers; a 401 drops cached credentials and is retried once when
 * the provider says that can help. Errors are SoupError SOUP_E_HTTP with `status` in `detail`;
 * network faults, 5xx and 429 are retryable (429 carries `retryAfterMs`).
 */

import type { Dispatcher } from 'undici';
import { SoupError } from '../lib/errors.js';
import type { SystemReport } from '../recipe/types.js';
import type { AuthProvider } from './net/auth.js';
import { parseRetryAfter } from './net/polling.js';
import { request } from './net/undici.js';

export interface Link {
  href: string;
}

export interface RootPoll {
  config?: { polling?: { sleep?: string } };
  _links?: Record<string, Link | undefined>;
}

export interface SystemUpdateAction {
  id: string;
  recipe: { id: string; name: string; version: string; lifecycle?: string; published?: string };
  handling?: { download?: string; update?: string };
  maintenanceWindow?: { schedule?: string; duration?: string; timezone?: string; nextStartAt?: number };
  _links?: Record<string, Link | undefined>;
}

export interface DdiArtifact {
  filename: string;
  hashes: { sha1?: string; md5?: string; sha256?: string };
  size: number;
  _links?: Record<string, Link | undefined>;
}

export interface DdiDeploymentBase {
  id: string;
  deployment: {
    download?: string;
    update?: string;
    maintenanceWindow?: 'available' | 'unavailable';
    chunks: {
      part: string;
      version: string;
      name: string;
      artifacts?: DdiArtifact[];
      metadata?: { key: string; value: string }[];
    }[];
  };
  actionHistory?: unknown;
}

export interface InstallApiOptions {
  /** Server base URL (`http://host:port`). */
  url: string;
  tenant: string;
  controllerId: string;
  auth: AuthProvider;
  timeoutMs: number;
  now: () => number;
}

export class InstallApi {
  readonly base: string;
  readonly auth: AuthProvider;
  readonly dispatcher: Dispatcher | undefined;

  constructor(private readonly options: InstallApiOptions) {
    const url = options.url.replace(/\/+$/, '');
    this.base = `${url}/${encodeURIComponent(options.tenant)}/controller/v1/${encodeURIComponent(options.controllerId)}`;
    this.auth = options.auth;
    this.dispatcher = options.auth.dispatcher;
  }

  /** A URL under the controller base. */
  url(path: string): string {
    return `${this.base}/${path}`;
  }

  async rootPoll(signal?: AbortSignal): Promise<RootPoll> {
    return (await this.json('GET', this.base, undefined, signal)) as RootPoll;
  }

  async putSystemReport(report: SystemReport, signal?: AbortSignal): Promise<void> {
    await this.json('PUT', this.url('systemReport'), report, signal);
  }

  async getJson<T>(href: string, signal?: AbortSignal): Promise<T> {
    return (await this.json('GET', href, undefined, signal)) as T;
  }

  /** Small bodies only (recipe files, signatures): refuses anything above `maxBytes`. */
  async getBytes(href: string, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    const res = await this.send('GET', href, undefined, signal);
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body) {
        total += (chunk as Buffer).length;
        if (total > maxBytes) {
          res.body.destroy();
          throw new SoupError('SOUP_E_HTTP', `GET ${href}: body larger than ${maxBytes} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      throw brokenBody('GET', href, err, signal);
    }
    return new Uint8Array(Buffer.concat(chunks));
  }

  /** POSTs JSON; resolves with the status (2xx and 410 are answers, not errors). */
  async postJson(href: string, body: unknown, signal?: AbortSignal): Promise<number> {
    const res = await this.send('POST', href, body, signal, [410]);
    await res.body.dump();
    return res.statusCode;
  }

  private async json(
    method: 'GET' | 'PUT' | 'POST',
    href: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const res = await this.send(method, href, body, signal);
    if (res.statusCode === 204) {
      await res.body.dump();
      return undefined;
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw brokenBody(method, href, err, signal);
    }
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new SoupError('SOUP_E_HTTP', `${method} ${href}: the answer is not JSON`, { retryable: true });
    }
  }

  private async send(
    method: 'GET' | 'PUT' | 'POST',
    href: string,
    body: unknown,
    signal: AbortSignal | undefined,
    accept: number[] = [],
  ): Promise<Dispatcher.ResponseData> {
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept: 'application/json', ...(await this.auth.headers()) };
      if (body !== undefined) headers['content-type'] = 'application/json';
      let res: Dispatcher.ResponseData;
      try {
        res = await request(href, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal,
          dispatcher: this.dispatcher,
          headersTimeout: this.options.timeoutMs,
          bodyTimeout: this.options.timeoutMs,
        });
      } catch (err) {
        if (signal?.aborted) throw new SoupError('SOUP_E_CANCELLED', `${method} ${href} was interrupted`);
        throw new SoupError('SOUP_E_HTTP', `${method} ${href}: ${(err as Error).message}`, {
          retryable: true,
          cause: err,
        });
      }
      if ((res.statusCode >= 200 && res.statusCode < 300) || accept.includes(res.statusCode)) return res;
      const text = await res.body.text().catch(() => '');
      if (res.statusCode === 401 && attempt === 0 && (await this.auth.unauthorized())) continue;
      let message = '';
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? '';
      } catch {
        // not an error body of ours
      }
      const retryAfter = res.headers['retry-after'];
      const retryAfterMs =
        res.statusCode === 429
          ? parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, this.options.now())
          : undefined;
      throw new SoupError(
        'SOUP_E_HTTP',
        `${method} ${href}: HTTP ${res.statusCode}${message === '' ? '' : ` (${message})`}`,
        {
          retryable: res.statusCode >= 500 || res.statusCode === 429 || res.statusCode === 408,
          detail: { status: res.statusCode, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
        },
      );
    }
  }
}

/**
 * A response body that broke off (reset, truncated before its Content-Length, no byte within the
 * timeout) is a network fault like a refused connection: retryable. Our own errors pass as they are.
 */
function brokenBody(method: string, href: string, err: unknown, signal: AbortSignal | undefined): SoupError {
  if (err instanceof SoupError) return err;
  if (signal?.aborted) return new SoupError('SOUP_E_CANCELLED', `${method} ${href} was interrupted`);
  return new SoupError('SOUP_E_HTTP', `${method} ${href}: the answer broke off: ${(err as Error).message}`, {
    retryable: true,
    cause: err,
  });
}

export function httpStatusOf(err: unknown): number | undefined {
  return err instanceof SoupError ? (err.detail?.status as number | undefined) : undefined;
}

/** The trailing id of a link (`.../systemUpdate/17?c=…` → `17`). */
export function idOfLink(link: Link): string {
  const path = new URL(link.href).pathname.replace(/\/+$/, '');
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
}
