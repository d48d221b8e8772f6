/**
 * Script handlers `preinstall`, `postinstall`, `shellscript` (SWUpdate's names): a downloaded, hash-checked
 * script run with `/bin/sh` on the gateway.
 *
 *   preinstall   runs at step 7, before any module is touched
 *   postinstall  runs at step 11, after every module is committed
 *   shellscript  runs at both, with `$1` = `preinst` or `postinst` (as SWUpdate does)
 *
 * Environment: the agent's own plus `SOUP_PHASE`, `SOUP_ACTION_ID`, `SOUP_RECIPE_ID`, `SOUP_RECIPE_NAME`,
 * `SOUP_RECIPE_VERSION`, `SOUP_CONTROLLER_ID`, `SOUP_DATA_DIR`, `SOUP_SCRIPT`. A non-zero exit, a signal
 * or the timeout (the process is killed with SIGKILL) fails the step.
 */
import { spawn } from 'node:child_process';
import { SoupError } from '../lib/errors.js';

export const SCRIPT_TYPES = ['preinstall', 'postinstall', 'shellscript'] as const;
export type ScriptType = (typeof SCRIPT_TYPES)[number];

export function isScriptType(type: string): type is ScriptType {
  return (SCRIPT_TYPES as readonly string[]).includes(type);
}

/** Whether a script of this type runs in this phase, and with which argument. */
export function scriptArgs(type: ScriptType, phase: 'preinstall' | 'postinstall'): string[] | undefined {
  switch (type) {
    case 'preinstall':
      return phase === 'preinstall' ? [] : undefined;
    case 'postinstall':
      return phase === 'postinstall' ? [] : undefined;
    case 'shellscript':
      return [phase === 'preinstall' ? 'preinst' : 'postinst'];
    default: {
      const never: never = type;
      return never;
    }
  }
}

export interface ScriptRun {
  path: string;
  args: string[];
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Receives each line the script prints (stdout and stderr). */
  onOutput?: (line: string) => void;
}

/** Runs the script; resolves on exit 0, else throws SOUP_E_SCRIPT naming the exit code or signal. */
export function runScript(run: ScriptRun): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', [run.path, ...run.args], {
      env: { ...process.env, ...run.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: run.timeoutMs,
      killSignal: 'SIGKILL',
      ...(run.signal === undefined ? {} : { signal: run.signal }),
    });
    let timedOut = false;
    const started = process.hrtime.bigint();
    const forward = (data: Buffer) => {
      for (const line of data.toString('utf8').split('\n')) if (line !== '') run.onOutput?.(line);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    child.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code === 'ABORT_ERR') {
        reject(new SoupError('SOUP_E_CANCELLED', `script ${run.path} was interrupted`));
      } else reject(new SoupError('SOUP_E_SCRIPT', `script ${run.path}: ${err.message}`, { cause: err }));
    });
    child.on('exit', (code, signal) => {
      const elapsedMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
      if (signal === 'SIGKILL' && elapsedMs >= run.timeoutMs) timedOut = true;
      if (code === 0) resolve();
      else if (timedOut)
        reject(new SoupError('SOUP_E_SCRIPT', `script ${run.path} timed out after ${run.timeoutMs} ms`));
      else if (run.signal?.aborted)
        reject(new SoupError('SOUP_E_CANCELLED', `script ${run.path} was interrupted`));
      else if (signal !== null)
        reject(new SoupError('SOUP_E_SCRIPT', `script ${run.path} was killed by ${signal}`));
      else reject(new SoupError('SOUP_E_SCRIPT', `script ${run.path} exited with code ${code}`));
    });
  });
}
