/** The Management API (`/rest/v1`) from the browser, with the session's credentials. */
import { authorization } from './session.js';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface Page<T> {
  content: T[];
  size: number;
  total: number;
}

function failure(status: number, text: string): ApiFailure {
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = {};
  }
  const message = typeof body.message === 'string' ? body.message : `HTTP ${status}`;
  return new ApiFailure(status, message, body);
}

function headers(json: boolean): Record<string, string> {
  const h: Record<string, string> = { authorization: authorization() ?? '' };
  if (json) h['content-type'] = 'application/json';
  return h;
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/rest/v1/${path}`, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await res.text();
  if (res.status === 401) window.dispatchEvent(new CustomEvent('soup:signed-out'));
  if (!res.ok) throw failure(res.status, text);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => call<T>('POST', path, body);
export const put = <T>(path: string, body: unknown) => call<T>('PUT', path, body);

/** The exact bytes of a resource as text (the recipe file must be signed as served). */
export async function text(path: string): Promise<string> {
  const res = await fetch(`/rest/v1/${path}`, { headers: headers(false), cache: 'no-store' });
  const t = await res.text();
  if (!res.ok) throw failure(res.status, t);
  return t;
}

/** Uploads a file as the raw body (`?filename=`), reporting the bytes sent (fetch cannot). */
export function upload<T>(
  path: string,
  file: File,
  onProgress: (sent: number, total: number) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/rest/v1/${path}?filename=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('authorization', authorization() ?? '');
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText) as T);
      else reject(failure(xhr.status, xhr.responseText));
    };
    xhr.onerror = () => reject(new ApiFailure(0, 'the upload was interrupted', {}));
    xhr.send(file);
  });
}
