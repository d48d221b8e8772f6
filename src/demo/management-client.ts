/**
 * A small client of server-lite's Management API (`management-api.md`) for the demo and the end-to-end
 * tests: what a CI/CD pipeline or an update coordinator does over HTTP, with Basic auth.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { SoupError } from '../lib/errors.js';
import { requestStream, type StreamRequest } from '../lib/http/request.js';
import { defaultTransport } from '../lib/http/transport.js';

/** Time bounds of one call (an upload of a large image included). */
const TIMEOUT_MS = 120_000;

async function fetchBytes(req: Omit<StreamRequest, 'headersTimeout' | 'bodyTimeout'>) {
  const res = await requestStream(defaultTransport(), {
    ...req,
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
  });
  const body = (await res.bytes(Number.POSITIVE_INFINITY)) ?? Buffer.alloc(0); // never over an infinite cap
  return { statusCode: res.statusCode, body };
}

export interface ApiError {
  errorCode?: string;
  message?: string;
}

export class ManagementClient {
  private readonly auth: string;

  constructor(
    readonly baseUrl: string,
    user: string,
    password: string,
  ) {
    this.auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }

  /** Uploads a file as the raw body (`?filename=`), streamed from disk. */
  async upload<T>(path: string, file: string, filename: string): Promise<T> {
    const { size } = await stat(file);
    const res = await fetchBytes({
      url: `${this.baseUrl}/rest/v1/${path}?filename=${encodeURIComponent(filename)}`,
      method: 'POST',
      headers: {
        authorization: this.auth,
        'content-type': 'application/octet-stream',
        'content-length': String(size),
      },
      body: createReadStream(file),
    });
    return this.parse<T>('POST', path, res.statusCode, res.body.toString('utf8'));
  }

  /** The raw bytes of a GET (the recipe file must be signed exactly as served). */
  async bytes(path: string): Promise<Buffer> {
    const res = await fetchBytes({
      url: `${this.baseUrl}/rest/v1/${path}`,
      headers: { authorization: this.auth },
    });
    if (res.statusCode !== 200) this.parse('GET', path, res.statusCode, res.body.toString('utf8'));
    return res.body;
  }

  private async call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    const res = await fetchBytes({
      url: `${this.baseUrl}/rest/v1/${path}`,
      method,
      headers: {
        authorization: this.auth,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return this.parse<T>(method, path, res.statusCode, res.body.toString('utf8'));
  }

  private parse<T>(method: string, path: string, status: number, text: string): T {
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    if (status >= 400) {
      const err = (json ?? {}) as ApiError;
      throw new SoupError(
        'SOUP_E_MGMT_API',
        `${method} ${path}: ${status} ${err.errorCode ?? ''} ${err.message ?? text}`
          .replace(/\s+/g, ' ')
          .trim(),
        { detail: { status, errorCode: err.errorCode } },
      );
    }
    return json as T;
  }
}
