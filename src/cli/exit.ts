/**
 * How a command ends: an exit code and one line on stderr. Commands throw CliExit (or any SoupError,
 * which maps to exit 1 unless the command says otherwise); main.ts prints the line, never a stack trace
 * unless `--debug`.
 */
import { SoupError } from '../lib/errors.js';

export class CliExit extends SoupError {
  readonly exitCode: number;

  constructor(exitCode: number, message: string, cause?: unknown) {
    super('SOUP_E_CLI', message, { cause });
    this.exitCode = exitCode;
  }
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof CliExit) return err.exitCode;
  if (err instanceof SoupError && err.code === 'SOUP_E_CONFIG') return 2;
  return 1;
}
