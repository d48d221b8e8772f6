/**
 * The Install API client (`install-api.md`): hawkBit DDI plus the SOUP resources, over Node's HTTP client
 * (lib/http/request.ts). The one client of the agent; artifacts go through the resumable downloader
 * (net/download.ts) with the same auth and transport.
 *
 * Every answer is untrusted input ("What the agent accepts from the backend"):
 *   - a JSON document (root poll, actions, signatures, error bodies) is read up to MAX_DOCUMENT_BYTES
 *     (1 MiB): a larger `Content-Length` is refused before the body is read, a longer body is cut off
 *     at the cap and the connection dropped → SOUP_E_HTTP_TOO_LARGE; the recipe file likewise up to
 *     MAX_RECIPE_FILE_BYTES (4 MiB);
 *   - every document is validated with its schema (install-api/documents.ts) → SOUP_E_HTTP_DOCUMENT
 *     naming the key path; both are retryable (the daemon backs off and polls again);
 *   - URLs in messages never carry their query or user info (net/redact.ts), and text from the server
 *     (an error body's `message`) is redacted and kept to one line.
 * Every request carries the auth provider's headers; a 401 drops cached credentials and is retried
 * once when the provider says that can help. Other failures are SOUP_E_HTTP with `detail.status`
 * (0 for a network fault); network faults, 5xx, 408 and 429 are retryable (429 carries `retryAfterMs`).
 */
import { SoupError } from '../lib/errors.js';
import { requestStream, type StreamResponse } from '../lib/http/request.js';
import { defaultTransport, type Transport } from '../lib/http/transport.js';
import type { SystemReport } from '../recipe/types.js';
import {
  CANCEL_ACTION,
  type CancelAction,
  DDI_ACTION,
  type DdiActionDocument,
  type DocumentKind,
  describeFault,
  ERROR_BODY,
  type Link,
  ROOT_POLL,
  type RootPoll,
  SIGNATURES,
  type SignatureList,
  SYSTEM_UPDATE,
  type SystemUpdateAction,
} from './install-api/documents.js';
import type { AuthProvider } from './net/auth.js';
import { parseRetryAfter } from './net/polling.js';
import { redactText, redactUrl } from './net/redact.js';

export type {
  CancelAction,
  DdiActionDocument,
  DdiArtifact,
  DdiDeployment,
  DdiDeploymentBase,
  Link,
  Links,
  RootPoll,
  SignatureList,
  SystemUpdateAction,
} from './install-api/documents.js';

/** Largest JSON document the agent reads from the backend. */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;
/** Largest recipe file the agent reads. */
export const MAX_RECIPE_FILE_BYTES = 4 * 1024 * 1024;

export interface InstallApiOptions {
  /** Server base URL (`http://host:port`). */
  url: string;
  tenant: string;
  controllerId: string;
  auth: AuthProvider;
  timeoutMs: number;
  now: () => number;
}

type Method = 'GET' | 'PUT' | 'POST';

interface Answer {
  status: number;
  body: Buffer;
}

export class InstallApi {
  readonly base: string;
  readonly auth: AuthProvider;
  readonly transport: Transport | undefined;

  constructor(private readonly options: InstallApiOptions) {
    const url = options.url.replace(/\/+$/, '');
    this.base = `${url}/${encodeURIComponent(options.tenant)}/controller/v1/${encodeURIComponent(options.controllerId)}`;
    this.auth = options.auth;
    this.transport = options.auth.transport;
  }

  /** A URL under the controller base. */
  url(path: string): string {
    return `${this.base}/${path}`;
  }

  rootPoll(signal?: AbortSignal): Promise<RootPoll> {
    return this.document(this.base, ROOT_POLL, signal);
  }

  systemUpdate(href: string, signal?: AbortSignal): Promise<SystemUpdateAction> {
    return this.document(href, SYSTEM_UPDATE, signal);
  }

  /** `deploymentBase/{id}` or `confirmationBase/{id}`. */
  ddiAction(href: string, signal?: AbortSignal): Promise<DdiActionDocument> {
    return this.document(href, DDI_ACTION, signal);
  }

  cancelAction(href: string, signal?: AbortSignal): Promise<CancelAction> {
    return this.document(href, CANCEL_ACTION, signal);
  }

  signatures(href: string, signal?: AbortSignal): Promise<SignatureList> {
    return this.document(href, SIGNATURES, signal);
  }

  /** The recipe file's exact bytes, at most MAX_RECIPE_FILE_BYTES. */
  async recipeFile(href: string, signal?: AbortSignal): Promise<Uint8Array> {
    const answer = await this.send('GET', href, undefined, MAX_RECIPE_FILE_BYTES, signal);
    return new Uint8Array(answer.body);
  }

  async putSystemReport(report: SystemReport, signal?: AbortSignal): Promise<void> {
    await this.send('PUT', this.url('systemReport'), report, MAX_DOCUMENT_BYTES, signal);
  }

  /** POSTs JSON; resolves with the status (2xx and 410 are answers, not errors). */
  async postJson(href: string, body: unknown, signal?: AbortSignal): Promise<number> {
    return (await this.send('POST', href, body, MAX_DOCUMENT_BYTES, signal, [410])).status;
  }

  /** GETs a JSON document and checks it against its schema. */
  async document<T>(href: string, kind: DocumentKind<T>, signal?: AbortSignal): Promise<T> {
    const what = `GET ${redactUrl(href)}`;
    const { body } = await this.send('GET', href, undefined, MAX_DOCUMENT_BYTES, signal);
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      throw invalid(what, `the ${kind.name} is not JSON`);
    }
    if (!kind.validate(value)) throw invalid(what, `${kind.name}: ${describeFault(kind.validate.errors)}`);
    return value;
  }

  private async send(
    method: Method,
    href: string,
    body: unknown,
    maxBytes: number,
    signal: AbortSignal | undefined,
    accept: number[] = [],
  ): Promise<Answer> {
    const what = `${method} ${redactUrl(href)}`;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept: 'application/json', ...(await this.auth.headers()) };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const answer = await this.once(method, href, body, headers, maxBytes, signal, what);
      const { status } = answer;
      if ((status >= 200 && status < 300) || accept.includes(status)) return { status, body: answer.body };
      if (status === 401 && attempt === 0 && (await this.auth.unauthorized())) continue;
      throw this.failure(what, answer);
    }
  }

  /** One exchange: the status and the body read up to `maxBytes` (an error body: its `message`). */
  private async once(
    method: Method,
    href: string,
    body: unknown,
    headers: Record<string, string>,
    maxBytes: number,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<{ status: number; headers: StreamResponse['headers']; body: Buffer; tooLarge?: boolean }> {
    try {
      const res = await requestStream(this.transport ?? defaultTransport(), {
        url: href,
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      // an error body is a document whatever was asked for
      const read = await res.bytes(ok ? maxBytes : MAX_DOCUMENT_BYTES);
      if (read === undefined) {
        if (ok) throw tooLarge(what, maxBytes, res.statusCode);
        return { status: res.statusCode, headers: res.headers, body: Buffer.alloc(0), tooLarge: true };
      }
      return { status: res.statusCode, headers: res.headers, body: read };
    } catch (err) {
      if (err instanceof SoupError) throw err;
      if (signal?.aborted) throw new SoupError('SOUP_E_CANCELLED', `${what} was interrupted`);
      const code = (err as NodeJS.ErrnoException).code;
      throw new SoupError(
        'SOUP_E_HTTP',
        `${what}: ${redactText((err as Error).message ?? String(err))}${code ? ` (${code})` : ''}`,
        { retryable: true, detail: { status: 0, url: redactUrl(href) } },
      );
    }
  }

  private failure(
    what: string,
    answer: { status: number; headers: StreamResponse['headers']; body: Buffer; tooLarge?: boolean },
  ): SoupError {
    const { status } = answer;
    let message = answer.tooLarge ? `error body larger than ${MAX_DOCUMENT_BYTES} bytes, not read` : '';
    if (!answer.tooLarge && answer.body.length > 0) {
      try {
        const parsed: unknown = JSON.parse(answer.body.toString('utf8'));
        if (ERROR_BODY.validate(parsed)) message = redactText(parsed.message ?? '').slice(0, 200);
      } catch {
        // not an error body of ours (a proxy's page): the status says it
      }
    }
    const header = answer.headers['retry-after'];
    const retryAfterMs =
      status === 429
        ? parseRetryAfter(Array.isArray(header) ? header[0] : header, this.options.now())
        : undefined;
    return new SoupError('SOUP_E_HTTP', `${what}: HTTP ${status}${message === '' ? '' : ` (${message})`}`, {
      retryable: status >= 500 || status === 429 || status === 408,
      detail: { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
    });
  }
}

function tooLarge(what: string, max: number, status: number): SoupError {
  return new SoupError('SOUP_E_HTTP_TOO_LARGE', `${what}: the answer is larger than ${max} bytes`, {
    retryable: true,
    detail: { status },
  });
}

function invalid(what: string, why: string): SoupError {
  return new SoupError('SOUP_E_HTTP_DOCUMENT', `${what}: ${why}`, { retryable: true });
}

export function httpStatusOf(err: unknown): number | undefined {
  return err instanceof SoupError ? (err.detail?.status as number | undefined) : undefined;
}

/** The trailing id of a link (`.../systemUpdate/17?c=…` → `17`); SOUP_E_HTTP_DOCUMENT when there is none. */
export function idOfLink(link: Link): string {
  let path: string;
  try {
    path = new URL(link.href).pathname.replace(/\/+$/, '');
  } catch {
    throw invalid('link', `${redactUrl(link.href)} is not a URL`);
  }
  let id: string;
  try {
    id = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  } catch {
    id = '';
  }
  if (id === '') throw invalid('link', `${redactUrl(link.href)} names no action id`);
  return id;
}
