/**
 * API errors: every 4xx/5xx answers `{errorCode: "soup.<area>.<reason>", message}` (hawkBit's
 * ExceptionInfo shape), plus optional structured detail (allowed transitions, validation result).
 */

/**
 * One line: control characters that request input (a path parameter, a header) may carry
 * into a message are written as `\xNN`.
 */
function oneLineMessage(message: string): string {
  let out = '';
  for (const c of message) {
    const code = c.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}

export class ApiError extends Error {
  readonly status: number;
  readonly errorCode: string;
  readonly extra: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: number,
    errorCode: string,
    message: string,
    extra?: Record<string, unknown>,
    headers?: Record<string, string>,
  ) {
    super(oneLineMessage(message));
    this.name = 'ApiError';
    this.status = status;
    this.errorCode = errorCode;
    this.extra = extra;
    this.headers = headers;
  }
}

export const badRequest = (code: string, message: string, extra?: Record<string, unknown>) =>
  new ApiError(400, `soup.${code}`, message, extra);
export const notFound = (code: string, message: string) => new ApiError(404, `soup.${code}`, message);
export const conflict = (code: string, message: string, extra?: Record<string, unknown>) =>
  new ApiError(409, `soup.${code}`, message, extra);
export const unauthorized = (message = 'authentication required') =>
  new ApiError(401, 'soup.auth.unauthorized', message);
export const forbidden = (message: string) => new ApiError(403, 'soup.auth.forbidden', message);
