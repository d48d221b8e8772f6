/**
 * One error class for the whole project, with a stable string code.
 * Branch on `code`, never on message text. Messages are one line that says what is wrong and where
 * (key path, byte offset, NRC name) — the CLI prints exactly that line, never a stack trace.
 *
 * Codes are `SOUP_E_<AREA>[_<REASON>]`, e.g. SOUP_E_CONFIG, SOUP_E_SIGNATURE, SOUP_E_SCHEMA, SOUP_E_MATCH,
 * SOUP_E_RSQL, SOUP_E_HTTP, SOUP_E_DOWNLOAD, SOUP_E_HASH, SOUP_E_MODULE_TIMEOUT, SOUP_E_MODULE_NRC,
 * SOUP_E_MODULE_RC, SOUP_E_CANCELLED, SOUP_E_NOT_BUILT, SOUP_E_IO, SOUP_E_STATE, SOUP_E_CONSENT,
 * SOUP_E_HTTP_TOO_LARGE, SOUP_E_HTTP_DOCUMENT (an answer over its cap / not matching its schema),
 * SOUP_E_PATH (a name that cannot be a path segment), SOUP_E_BUNDLE, SOUP_E_DOWNGRADE,
 * SOUP_E_NO_DAEMON, SOUP_E_DAEMON_ACCESS, SOUP_E_DAEMON_SILENT (the control socket: nothing listens, this
 * user may not connect, no answer in time).
 */
export type SoupErrorCode = `SOUP_E_${string}`;

export interface SoupErrorOptions {
  /** Worth trying the same operation again (network fault, module busy, timeout). */
  retryable?: boolean;
  /** Structured detail for logs and feedback (never secrets). */
  detail?: Record<string, unknown>;
  cause?: unknown;
}

export class SoupError extends Error {
  readonly code: SoupErrorCode;
  readonly retryable: boolean;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: SoupErrorCode, message: string, options: SoupErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SoupError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.detail = options.detail;
  }
}

export function isSoupError(err: unknown, code?: SoupErrorCode): err is SoupError {
  return err instanceof SoupError && (code === undefined || err.code === code);
}

export function isRetryable(err: unknown): boolean {
  return err instanceof SoupError ? err.retryable : false;
}

/** Something the project does not implement: a clear error instead of a silent stub. */
export function notBuilt(what: string): never {
  throw new SoupError('SOUP_E_NOT_BUILT', `${what} is not built in this version`);
}

/** One line for a human: the message of a SoupError, or a short description of anything else. */
export function oneLine(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err).split('\n')[0] ?? 'unknown error';
}
