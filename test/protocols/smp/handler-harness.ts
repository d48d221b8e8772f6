/** A minimal engine for driving the smp-image handler in tests: context, job, retries of retryable steps. */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { HandlerContext, HandlerJob } from '../../../src/handlers/types.js';
import { systemClock } from '../../../src/lib/clock.js';
import { isRetryable } from '../../../src/lib/errors.js';
import { silentLogger } from '../../../src/lib/log.js';
import type { LinkProvider } from '../../../src/protocols/buses/types.js';

export async function makeJob(
  path: string,
  modulePath: string,
  version: string,
  options: { attributes?: Record<string, string>; baudRate?: number; timeoutMs?: number } = {},
): Promise<HandlerJob> {
  const bytes = await readFile(path);
  const image = {
    path,
    filename: basename(path),
    size: (await stat(path)).size,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  return {
    actionId: '17',
    module: {
      id: 'SN-1',
      name: 'display',
      attributes: options.attributes ?? {},
      config: {
        kind: 'serial',
        entry: {
          name: 'display',
          path: modulePath,
          baudRate: options.baudRate ?? 921600,
          protocol: 'smp',
          timeoutMs: options.timeoutMs ?? 300,
        },
      },
    },
    image,
    version,
    artifacts: [image],
    fromVersion: '1.0.0',
  };
}

export function makeCtx(links: LinkProvider): HandlerContext & { saved: unknown[]; progressSeen: number[] } {
  let stored: unknown;
  const saved: unknown[] = [];
  const progressSeen: number[] = [];
  return {
    log: silentLogger(),
    signal: new AbortController().signal,
    clock: systemClock,
    links,
    dataDir: '.',
    checkpoint: {
      load: <T>() => stored as T | undefined,
      save: <T>(v: T) => {
        stored = v;
        saved.push(v);
      },
    },
    progress: (cnt) => progressSeen.push(cnt),
    saved,
    progressSeen,
  };
}

/**
 * Runs a step again on retryable errors, as the engine does; returns the errors seen. Instead of the
 * engine's retry delay, the next attempt starts when `ready` says the module can be reached again (the
 * simulated module's link is back after a disconnect).
 */
export async function withRetries(
  step: () => Promise<void>,
  ready: () => Promise<void>,
  attempts = 6,
): Promise<Error[]> {
  const errors: Error[] = [];
  for (let i = 0; i < attempts; i++) {
    try {
      await step();
      return errors;
    } catch (err) {
      errors.push(err as Error);
      if (!isRetryable(err) || i === attempts - 1) throw err;
      await ready();
    }
  }
  return errors;
}
