/** The server did not answer, or stopped sending, within the request's time bound. Retryable. */
export class HttpTimeout extends Error {
  readonly code = 'ETIMEDOUT';
}
