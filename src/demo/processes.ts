/**
 * Child processes of the demo and the end-to-end tests: `soup-agent server-lite`, `simulate`, `run`, each a
 * separate process as on a real gateway. Their stdout carries JSON lines (ready signals, module paths);
 * their stderr (pino logs) goes to a log file in the work directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SoupError } from '../lib/errors.js';

/** The built CLI entry point (`dist/src/cli/main.js`), found relative to this file. */
export const CLI_PATH = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the first stdout JSON line that satisfies `predicate`. */
  waitForLine<T = Record<string, unknown>>(predicate: (line: T) => boolean, timeoutMs: number): Promise<T>;
  /** Every JSON line printed so far. */
  readonly lines: readonly Record<string, unknown>[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL now (crash tests). */
  kill(): Promise<void>;
  readonly exited: Promise<number | null>;
}

export function startCli(
  name: string,
  args: string[],
  options: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): ManagedProcess {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  child.stderr?.pipe(log);
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<(line: Record<string, unknown>) => void>();
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (text) => {
    log.write(`[stdout] ${text}\n`);
    let line: unknown;
    try {
      line = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof line !== 'object' || line === null) return;
    lines.push(line as Record<string, unknown>);
    for (const w of [...waiters]) w(line as Record<string, unknown>);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  return {
    name,
    child,
    lines,
    exited,
    waitForLine<T>(predicate: (line: T) => boolean, timeoutMs: number): Promise<T> {
      const seen = lines.find((l) => predicate(l as T));
      if (seen) return Promise.resolve(seen as T);
      return new Promise<T>((resolve, reject) => {
        const done = (fn: () => void) => {
          clearTimeout(timer);
          waiters.delete(onLine);
          fn();
        };
        const onLine = (line: Record<string, unknown>) => {
          if (predicate(line as T)) done(() => resolve(line as T));
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(
                new SoupError(
                  'SOUP_E_DEMO',
                  `${name} did not get ready within ${timeoutMs} ms (see ${options.logFile})`,
                ),
              ),
            ),
          timeoutMs,
        );
        waiters.add(onLine);
        void exited.then((code) =>
          done(() =>
            reject(new SoupError('SOUP_E_DEMO', `${name} exited with ${code} (see ${options.logFile})`)),
          ),
        );
      });
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
