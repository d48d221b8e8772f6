/**
 * What goes wrong inside one download attempt (`download.ts`), as the attempt loop tells it apart.
 * Never leaves the downloader: it turns them into SoupErrors.
 */

/** A retryable fault (network, server busy) with an optional server-imposed wait. */
export class Fault extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** What was received cannot be part of the declared artifact: the part file is discarded. */
export class Integrity extends Error {
  constructor(
    message: string,
    readonly code: 'SOUP_E_DOWNLOAD' | 'SOUP_E_HASH' = 'SOUP_E_DOWNLOAD',
  ) {
    super(message);
  }
}

/** The server answered 401: the credentials are renewed once. */
export class Unauthorized extends Error {}

/** One line for a network error: its first message line and its code. */
export function faultText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = err.message.split('\n')[0] ?? err.name;
    return code ? `${message} (${code})` : message;
  }
  return String(err);
}
