/** Writing responses: JSON, no content, and the error body. */
import type { ServerResponse } from 'node:http';
import { ApiError } from './errors.js';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers?: Record<string, string>): void {
  res.writeHead(status, headers);
  res.end();
}

export function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.status, { errorCode: err.errorCode, message: err.message, ...err.extra }, err.headers);
}

export function internalError(): ApiError {
  return new ApiError(500, 'soup.server.internal', 'internal server error (see the server log)');
}
