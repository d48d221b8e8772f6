/** Steps 7 and 11: preinstall / postinstall scripts of the recipe (`software.scripts`), in file order. */

import { dirname } from 'node:path';
import type { ScriptType } from '../../handlers/scripts.js';
import { runScript, scriptArgs } from '../../handlers/scripts.js';
import type { StepEnv } from './env.js';

export async function runScripts(env: StepEnv, phase: 'preinstall' | 'postinstall'): Promise<void> {
  const { ctx, config } = env;
  for (const script of ctx.scripts) {
    const args = scriptArgs(script.type as ScriptType, phase);
    if (args === undefined) continue;
    const log = env.log.child({ script: script.filename, phase });
    log.info('running script');
    await runScript({
      path: script.path,
      args,
      timeoutMs: config.update.scriptTimeoutMs,
      signal: env.signal,
      env: {
        SOUP_PHASE: phase,
        SOUP_ACTION_ID: ctx.actionId,
        SOUP_RECIPE_ID: ctx.recipe?.id ?? '',
        SOUP_RECIPE_VERSION: ctx.recipe?.version ?? '',
        SOUP_DATA_DIR: config.dataDir,
        SOUP_ARTIFACTS_DIR: dirname(script.path),
      },
      onOutput: (line) => log.info({ line }, 'script output'),
    });
  }
}
