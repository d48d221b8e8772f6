/**
 * Actions: SOUP system updates and plain DDI deployments. A target has at most one open action.
 *
 * Opening rule (`management-api.md`, "installed recipe"): a system update opens when no action is open,
 * the system has a matched recipe, that recipe is newer (`published`) than the installed one or the
 * installed one is REVOKED, and it has not failed on this system since its last changed system report
 * (no loops, no accidental downgrades). Re-evaluated whenever an action closes and after every match job.
 * An open system update whose recipe is no longer exposed to the system's scope (revoked, demoted) is
 * cancelled through DDI's cancel protocol.
 */
import type { App } from '../app.js';
import { type Scope, visibleTo } from './lifecycle.js';
import { findRecipe, type RecipeRow } from './recipe-store.js';
import { tenantValue } from './tenant-config.js';

export type ActionKind = 'systemUpdate' | 'deployment';
export type ActionStatus = 'open' | 'finished' | 'canceled';

export interface ActionRow {
  id: number;
  target_id: number;
  kind: ActionKind;
  recipe_id: number | null;
  ds_id: number | null;
  status: ActionStatus;
  result: 'success' | 'failure' | null;
  cancel_requested: number;
  handling: string;
  maintenance_window: string | null;
  created_by: string;
  created_at: number;
  closed_at: number | null;
}

export function openActionOf(app: App, targetId: number): ActionRow | undefined {
  return app.db
    .prepare("SELECT * FROM actions WHERE target_id = ? AND status = 'open' ORDER BY id LIMIT 1")
    .get(targetId) as ActionRow | undefined;
}

export function findAction(app: App, id: number): ActionRow | undefined {
  return app.db.prepare('SELECT * FROM actions WHERE id = ?').get(id) as ActionRow | undefined;
}

/** The recipe of the system's last system update closed with success. */
export function installedRecipeOf(app: App, targetId: number): RecipeRow | undefined {
  const row = app.db
    .prepare(
      `SELECT recipe_id FROM actions WHERE target_id = ? AND kind = 'systemUpdate' AND status = 'finished'
       AND result = 'success' ORDER BY closed_at DESC, id DESC LIMIT 1`,
    )
    .get(targetId) as { recipe_id: number } | undefined;
  return row ? findRecipe(app, row.recipe_id) : undefined;
}

/** The distribution set of the target's last plain deployment closed with success (DDI installedBase). */
export function installedDeploymentOf(app: App, targetId: number): ActionRow | undefined {
  return app.db
    .prepare(
      `SELECT * FROM actions WHERE target_id = ? AND kind = 'deployment' AND status = 'finished'
       AND result = 'success' ORDER BY closed_at DESC, id DESC LIMIT 1`,
    )
    .get(targetId) as ActionRow | undefined;
}

interface TargetState {
  id: number;
  scope: Scope;
  matched_recipe_id: number | null;
  report_changed_at: number | null;
}

export function evaluateActions(app: App, targetId: number, actor: string): void {
  const { db } = app;
  const t = db
    .prepare('SELECT id, scope, matched_recipe_id, report_changed_at FROM targets WHERE id = ?')
    .get(targetId) as TargetState | undefined;
  if (!t) return;
  const open = openActionOf(app, t.id);
  if (open) {
    if (open.kind === 'systemUpdate' && open.cancel_requested === 0) {
      const r = open.recipe_id === null ? undefined : findRecipe(app, open.recipe_id);
      if (!r || !visibleTo(r.lifecycle, t.scope)) {
        db.prepare('UPDATE actions SET cancel_requested = 1 WHERE id = ?').run(open.id);
        app.log.info(
          { actionId: open.id, recipeId: open.recipe_id },
          'system update cancelled: recipe no longer exposed',
        );
      }
    }
    return;
  }
  if (t.matched_recipe_id === null) return;
  const matched = findRecipe(app, t.matched_recipe_id);
  if (!matched || matched.published_at === null) return;
  const installed = installedRecipeOf(app, t.id);
  if (installed) {
    const newer =
      (matched.published_at ?? 0) > (installed.published_at ?? 0) ||
      ((matched.published_at ?? 0) === (installed.published_at ?? 0) && matched.id > installed.id);
    if (!(newer || (installed.lifecycle === 'REVOKED' && installed.id !== matched.id))) return;
  }
  const failed = db
    .prepare(
      `SELECT 1 FROM actions WHERE target_id = ? AND kind = 'systemUpdate' AND recipe_id = ? AND
       (result = 'failure') AND closed_at >= ? LIMIT 1`,
    )
    .get(t.id, matched.id, t.report_changed_at ?? 0);
  if (failed) return;
  const handling = tenantValue(app, 'soup.action.handling');
  const window = tenantValue(app, 'soup.action.maintenanceWindow');
  const r = db
    .prepare(
      `INSERT INTO actions (target_id, kind, recipe_id, status, handling, maintenance_window, created_by, created_at)
       VALUES (?, 'systemUpdate', ?, 'open', ?, ?, ?, ?)`,
    )
    .run(
      t.id,
      matched.id,
      JSON.stringify(handling),
      window ? JSON.stringify(window) : null,
      actor,
      app.clock.now(),
    );
  app.log.info(
    { actionId: Number(r.lastInsertRowid), targetId: t.id, recipeId: matched.id },
    'system update opened',
  );
}

/** Closes an action; a finished system update asks for a new system report. Re-evaluates the rules. */
export function closeAction(
  app: App,
  action: ActionRow,
  status: Exclude<ActionStatus, 'open'>,
  result: 'success' | 'failure' | null,
  actor: string,
): void {
  app.db
    .prepare('UPDATE actions SET status = ?, result = ?, closed_at = ? WHERE id = ?')
    .run(status, result, app.clock.now(), action.id);
  if (action.kind === 'systemUpdate' && status === 'finished')
    app.db.prepare('UPDATE targets SET report_requested = 1 WHERE id = ?').run(action.target_id);
  evaluateActions(app, action.target_id, actor);
}
