/**
 * Why a system has no match, and retrying a failed recipe (`management-api.md`, "installed recipe").
 *
 * A recipe that failed on a system is not offered again until the system report changes (no loops). When
 * the cause was fixed on the gateway without its report changing (a trust store, a path), an operator
 * retries: every failure up to the system's newest action stops counting (`targets.retry_floor`), once —
 * a failure after the retry blocks again. The retry is refused, naming the reason, unless it opens an action.
 */
import { matchSystem } from '../../recipe/match.js';
import type { SystemReport } from '../../recipe/types.js';
import type { App } from '../app.js';
import { lastActionId } from '../store/actions.js';
import { matchRecipes } from '../store/recipes.js';
import { setRetryFloor, type TargetRow, type TargetState, targetState } from '../store/targets.js';
import { actionBlocker, evaluateActions } from './actions.js';
import { isCandidate } from './lifecycle.js';
import { compiledOf, newestFirst } from './match-job.js';

/**
 * One line per candidate recipe of the system's scope that does not match its last report (newest
 * first): which modules no definition takes (or more than one does), which counts fail, which modules are
 * unreachable.
 */
export function matchReasonsOf(app: App, t: Pick<TargetRow, 'scope' | 'last_report'>): string[] {
  if (t.last_report === null) return ['no system report was received: no recipe can match'];
  const modules = (JSON.parse(t.last_report) as SystemReport).modules;
  const lines: string[] = [];
  for (const r of matchRecipes(app.db).sort(newestFirst)) {
    if (!r.file_sha256 || !isCandidate(r.lifecycle, t.scope)) continue;
    const name = `recipe ${r.name} ${r.version} (${r.id})`;
    const compiled = compiledOf(app, r);
    if (!compiled) {
      lines.push(`${name}: its file cannot be compiled for matching`);
      continue;
    }
    const result = matchSystem(compiled, modules);
    if (!result.matched) lines.push(`${name}: ${result.reasons.join('; ')}`);
  }
  return lines;
}

/** Would a retry open an action (the system is blocked only by a failed recipe)? */
export function isRetryable(app: App, t: TargetState): boolean {
  return actionBlocker(app, t) !== null && actionBlocker(app, t, true) === null;
}

export type RetryOutcome = { opened: number } | { refused: string };

/** Lifts the failed-recipe block once and opens the action. Call inside a transaction. */
export function retrySystem(app: App, targetId: number, actor: string): RetryOutcome {
  const t = targetState(app.db, targetId);
  if (!t) return { refused: 'the system does not exist' };
  const blocker = actionBlocker(app, t, true);
  if (blocker !== null) return { refused: blocker };
  setRetryFloor(app.db, t.id, lastActionId(app.db, t.id));
  const opened = evaluateActions(app, t.id, actor);
  if (opened === null) {
    const now = targetState(app.db, targetId) as TargetState;
    return { refused: actionBlocker(app, now) ?? 'no action opened' };
  }
  app.log.info({ targetId, actionId: opened, actor }, 'system update retried');
  return { opened };
}
