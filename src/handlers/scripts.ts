/**
 * Script handlers `preinstall`, `postinstall`, `shellscript` (SWUpdate's names): a downloaded, hash-checked
 * script run with `/bin/sh` on the gateway.
 *
 *   preinstall   runs at step 7, before any module is touched
 *   postinstall  runs at step 11, after every module is committed
 *   shellscript  runs at both, with `$1` = `preinst` or `postinst` (as SWUpdate does)
 *
 * Environment (`agent.md`, Handlers): exactly `PATH` (SCRIPT_PATH, a fixed safe value), `LANG=C.UTF-8`
 * and the action's variables `SOUP_ACTION_ID`, `SOUP_RECIPE_ID`, `SOUP_RECIPE_VERSION`, `SOUP_PHASE`,
 * `SOUP_DATA_DIR`, `SOUP_ARTIFACTS_DIR` — nothing of the agent's own environment (which may hold a
 * token), never a credential. A non-zero exit, a signal or the timeout (the process is killed with
 * SIGKILL) fails the step.
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

/** `PATH` of every script: the system's binaries, nothing the agent's environment brings. */
export const SCRIPT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The action's variables a script gets (`agent.md`). */
export interface ScriptVariables {
  SOUP_ACTION_ID: string;
  SOUP_RECIPE_ID: string;
  SOUP_RECIPE_VERSION: string;
  SOUP_PHASE: 'preinstall' | 'postinstall';
  SOUP_DATA_DIR: string;
  SOUP_ARTIFACTS_DIR: string;
}

/** A script's whole environment: PATH, LANG and the action's variables, nothing else. */
export function scriptEnvironment(vars: ScriptVariables): Record<string, string> {
  return {
    PATH: SCRIPT_PATH,
    LANG: 'C.UTF-8',
    SOUP_ACTION_ID: vars.SOUP_ACTION_ID,
    SOUP_RECIPE_ID: vars.SOUP_RECIPE_ID,
    SOUP_RECIPE_VERSION: vars.SOUP_RECIPE_VERSION,
    SOUP_PHASE: vars.SOUP_PHASE,
    SOUP_DATA_DIR: vars.SOUP_DATA_DIR,
    SOUP_ARTIFACTS_DIR: vars.SOUP_ARTIFACTS_DIR,
  };
}

export interface ScriptRun {
  path: string;
  args: string[];
  env: ScriptVariables;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Receives each line the script prints (stdout and stderr). */
  onOutput?: (line: string) => void;
}

/** Runs the script; resolves on exit 0, else throws SOUP_E_SCRIPT naming the exit code or signal. */
export function runScript(run: ScriptRun): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', [run.path, ...run.args], {
      env: scriptEnvironment(run.env),
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
