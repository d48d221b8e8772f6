/**
 * Logging: pino, one child logger per component (`log.child({ component: 'poller' })`), object first then
 * message, errors under `err`, secrets redacted, device/server payloads nested under a key, never spread.
 *
 * Redaction happens on each finished line, so it covers everything pino writes — the message, child
 * bindings, serialized errors, payloads at any depth: a key naming a secret (`targetToken`,
 * `clientSecret`, `authorization`, `password`…) has its value replaced, and every string has its URLs
 * stripped of user info and query, credentials after an auth scheme and PEM private keys removed
 * (lib/redact.ts).
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import { redactSecrets, redactValue } from './redact.js';

export type { Logger };

export interface LogOptions {
  level?: string;
  /** Write to this file descriptor (default 2: stderr, so stdout stays for command output). */
  fd?: number;
}

/** One JSON log line with its secrets redacted (a line that is not JSON: its text redacted). */
export function redactLogLine(line: string): string {
  const end = line.endsWith('\n') ? '\n' : '';
  try {
    return `${JSON.stringify(redactValue(JSON.parse(line)))}${end}`;
  } catch {
    return redactSecrets(line);
  }
}

/** A pino destination that redacts each line before it reaches `target`. */
export function redactingDestination(
  target: DestinationStream & { flushSync?: () => void },
): DestinationStream {
  return {
    write: (line: string) => target.write(redactLogLine(line)),
    ...(target.flushSync === undefined ? {} : { flushSync: () => target.flushSync?.() }),
  } as DestinationStream;
}

export function createLogger(options: LogOptions = {}): Logger {
  return pino(
    { level: options.level ?? process.env.SOUP_LOG_LEVEL ?? 'info' },
    redactingDestination(pino.destination({ fd: options.fd ?? 2, sync: true })),
  );
}

/** A logger that discards everything, for unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
