/**
 * Logging: pino, one child logger per component (`log.child({ component: 'poller' })`), object first then
 * message, errors under `err`, secrets redacted, device/server payloads nested under a key, never spread.
 */
import { type Logger, pino } from 'pino';

export type { Logger };

const REDACT = [
  'password',
  'token',
  'secret',
  'clientSecret',
  'authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.clientSecret',
  '*.authorization',
  '*.targetToken',
  '*.gatewayToken',
  'headers.authorization',
];

export interface LogOptions {
  level?: string;
  /** Write to this file descriptor (default 2: stderr, so stdout stays for command output). */
  fd?: number;
}

export function createLogger(options: LogOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.SOUP_LOG_LEVEL ?? 'info',
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    pino.destination({ fd: options.fd ?? 2, sync: true }),
  );
}

/** A logger that discards everything, for unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
