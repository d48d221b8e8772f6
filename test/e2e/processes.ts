/** Child processes of the built CLI (`dist/src/cli/main.js`) for the end-to-end tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export interface Proc {
  readonly child: ChildProcess;
  waitForLine<T = Record<string, unknown>>(predicate: (line: T) => boolean, timeoutMs: number): Promise<T>;
  /** SIGTERM (SIGKILL after `graceMs`); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL now. */
  kill(): Promise<void>;
  readonly exited: Promise<number | null>;
}

export function startProc(name: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stderr?.pipe(log);
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    log.write(`[stdout] ${text}\n`);
    try {
      const v = JSON.parse(text) as unknown;
      if (typeof v === 'object' && v !== null) lines.push(v as Record<string, unknown>);
    } catch {
      return;
    }
    for (const w of [...waiters]) w();
  });
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (c) => {
      code = c;
      resolve(c);
      for (const w of [...waiters]) w();
    }),
  );
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    exited,
    waitForLine<T>(predicate: (line: T) => boolean, timeoutMs: number): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l) => predicate(l as T));
          if (hit !== undefined) return finish(() => resolve(hit as T));
          if (code !== undefined)
            finish(() => reject(new Error(`${name} exited with ${code} (see ${logFile})`)));
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(new Error(`${name}: no matching line within ${timeoutMs} ms (see ${logFile})`)),
            ),
          timeoutMs,
        );
        const finish = (fn: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          fn();
        };
        waiters.add(check);
        check();
      });
    },
    async stop(graceMs = 10_000) {
      if (gone()) return child.exitCode;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const c = await exited;
      clearTimeout(t);
      return c;
    },
    async kill() {
      if (gone()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
