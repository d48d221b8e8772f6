/**
 * Actions: SOUP system updates and plain DDI deployments. A target has at most one open action.
 *
 * Opening rule (`management-api.md`, "installed recipe"): a system update opens when no action is open,
 * the system has a matched recipe, that recipe is newer (`published`) than the installed one or the
 * installed one is REVOKED, and it has not failed on this system since its last changed system report
 * (no loops, no accidental downgrades) or since the operator's last retry. Re-evaluated whenever an
 * action closes and after every match job. An open system update whose recipe is no longer exposed to the
 * system's scope (revoked, demoted) is cancelled through DDI's cancel protocol.
 */
import type { App } from '../app.js';
import {
  type ActionRow,
  type ActionStatus,
  failedSince,
  insertAction,
  lastSuccess,
  openActionOf,
  setCancelRequested,
  storeClose,
} from '../store/actions.js';
import { findRecipe, type RecipeRow } from '../store/recipes.js';
import { requestReport, type TargetState, targetState } from '../store/targets.js';
import { visibleTo } from './lifecycle.js';
import { tenantValue } from './tenant-config.js';

export type { ActionKind, ActionRow, ActionStatus } from '../store/actions.js';

/** The recipe of the system's last system update closed with success. */
export function installedRecipeOf(app: App, targetId: number): RecipeRow | undefined {
  const last = lastSuccess(app.db, targetId, 'systemUpdate');
  return last?.recipe_id != null ? findRecipe(app.db, last.recipe_id) : undefined;
}

/** The target's last plain deployment closed with success (DDI installedBase). */
export function installedDeploymentOf(app: App, targetId: number): ActionRow | undefined {
  return lastSuccess(app.db, targetId, 'deployment');
}

/**
 * Why no system update opens for the target (null: one may open). `ignoreFailures`: what the rule says
 * with the failed-recipe block lifted (the retry's question).
 */
export function actionBlocker(app: App, t: TargetState, ignoreFailures = false): string | null {
  const open = openActionOf(app.db, t.id);
  if (open) return `action ${open.id} is open`;
  if (t.matched_recipe_id === null)
    return t.last_report === null ? 'no system report was received' : 'no recipe matches the system';
  const matched = findRecipe(app.db, t.matched_recipe_id);
  if (!matched || matched.published_at === null) return 'the matched recipe is not published';
  const installed = installedRecipeOf(app, t.id);
  if (installed) {
    const newer =
      (matched.published_at ?? 0) > (installed.published_at ?? 0) ||
      ((matched.published_at ?? 0) === (installed.published_at ?? 0) && matched.id > installed.id);
    if (!(newer || (installed.lifecycle === 'REVOKED' && installed.id !== matched.id)))
      return `the installed recipe ${installed.name} ${installed.version} (${installed.id}) is not older than the matched one`;
  }
  if (ignoreFailures) return null;
  const failed = failedSince(app.db, t.id, matched.id, t.report_changed_at ?? 0);
  if (failed && failed.id > (t.retry_floor ?? 0))
    return `recipe ${matched.id} failed in action ${failed.id} and the system report has not changed since`;
  return null;
}

function cancelIfHidden(app: App, t: TargetState, open: ActionRow): void {
  if (open.kind !== 'systemUpdate' || open.cancel_requested !== 0) return;
  const r = open.recipe_id === null ? undefined : findRecipe(app.db, open.recipe_id);
  if (r && visibleTo(r.lifecycle, t.scope)) return;
  setCancelRequested(app.db, open.id, true);
  app.log.info(
    { actionId: open.id, recipeId: open.recipe_id },
    'system update cancelled: recipe no longer exposed',
  );
}

/** Opens the system update the rule allows; returns its id, or null when none opened. */
export function evaluateActions(app: App, targetId: number, actor: string): number | null {
  const t = targetState(app.db, targetId);
  if (!t) return null;
  const open = openActionOf(app.db, t.id);
  if (open) {
    cancelIfHidden(app, t, open);
    return null;
  }
  if (actionBlocker(app, t) !== null || t.matched_recipe_id === null) return null;
  const handling = tenantValue(app, 'soup.action.handling');
  const window = tenantValue(app, 'soup.action.maintenanceWindow');
  const id = insertAction(app.db, {
    targetId: t.id,
    kind: 'systemUpdate',
    recipeId: t.matched_recipe_id,
    handling: JSON.stringify(handling),
    maintenanceWindow: window ? JSON.stringify(window) : null,
    createdBy: actor,
    createdAt: app.clock.now(),
  });
  app.log.info({ actionId: id, targetId: t.id, recipeId: t.matched_recipe_id }, 'system update opened');
  return id;
}

/** Closes an action; a finished system update asks for a new system report. Re-evaluates the rules. */
export function closeAction(
  app: App,
  action: ActionRow,
  status: Exclude<ActionStatus, 'open'>,
  result: 'success' | 'failure' | null,
  actor: string,
): void {
  storeClose(app.db, action.id, status, result, app.clock.now());
  if (action.kind === 'systemUpdate' && status === 'finished') requestReport(app.db, action.target_id);
  evaluateActions(app, action.target_id, actor);
}
