/**
 * The work of each step of the update machine, in one table: what the update runner (update-runner.ts)
 * performs in a state, and the event it turns the result into. The runner decides nothing from here: it
 * hands the event to `transition` (machine.ts).
 */
import { oneLine } from '../../lib/errors.js';
import type { UpdateState } from '../machine.js';
import { type Waiting, waitForConsent, waitForWindow } from './consent.js';
import { downloadNeeded } from './download.js';
import type { StepEnv } from './env.js';
import { fetchAction } from './fetch.js';
import { commitAll, markUntouched, revertAll, runStage } from './modules.js';
import { runScripts } from './scripts.js';

export type ActiveState = Exclude<UpdateState, { step: 'idle' }>;

/** Performs one step; resolves to its event (or a wait), throws when the step failed. */
export type PerformStep = (state: ActiveState, env: StepEnv) => Promise<Waiting>;

export const performStep: PerformStep = async (state, env) => {
  const pollMs = env.config.polling.defaultSleepMs;
  switch (state.step) {
    case 'fetching':
      await fetchAction(env);
      return { type: 'ok' };
    // loaded when an update reaches them: they bring the recipe schema (ajv) and mingo, resident memory
    // an idle agent does without (bench/idle.ts)
    case 'verifying':
      return (await import('./verify.js')).verifyRecipe(env);
    case 'matching':
      return (await import('./match.js')).matchAndPlan(env);
    case 'waiting-consent':
      return waitForConsent(env, pollMs);
    case 'waiting-window':
      return waitForWindow(env, pollMs);
    case 'downloading':
      await downloadNeeded(env);
      return { type: 'ok' };
    case 'preinstall':
      await runScripts(env, 'preinstall');
      return { type: 'ok' };
    case 'transfer-revertible':
      await runStage(env, 'transfer', true);
      return { type: 'ok' };
    case 'activate-revertible':
      await runStage(env, 'activate', true);
      return { type: 'ok' };
    case 'verify-revertible':
      await runStage(env, 'verify', true);
      return { type: 'ok' };
    case 'transfer-forward':
      await runStage(env, 'transfer', false);
      return { type: 'ok' };
    case 'activate-forward':
      await runStage(env, 'activate', false);
      return { type: 'ok' };
    case 'verify-forward':
      await runStage(env, 'verify', false);
      return { type: 'ok' };
    case 'committing':
      await commitAll(env, state.failure);
      return state.failure.length > 0
        ? { type: 'fail', reason: state.failure.join('; '), retryable: false }
        : { type: 'ok' };
    case 'reverting':
      await revertAll(env);
      return { type: 'ok' };
    case 'postinstall':
      await runScripts(env, 'postinstall');
      return { type: 'ok' };
    case 'reporting':
      markUntouched(env);
      try {
        await env.sendReport(env.signal);
      } catch (err) {
        env.log.warn({ err: oneLine(err) }, 'system report not sent: will be sent with the next poll');
      }
      return { type: 'ok' };
    default: {
      const never: never = state;
      return never;
    }
  }
};
