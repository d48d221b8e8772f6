/** Actions (system updates and plain deployments) and their feedback: the `actions` and `feedback` tables. */
import type { Database } from './sqlite.js';

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

export interface FeedbackRow {
  feedback_id: string | null;
  channel: string;
  received_at: number;
  offline: number;
  body: string;
}

export function openActionOf(db: Database, targetId: number): ActionRow | undefined {
  return db
    .prepare("SELECT * FROM actions WHERE target_id = ? AND status = 'open' ORDER BY id LIMIT 1")
    .get(targetId) as ActionRow | undefined;
}

export function findAction(db: Database, id: number): ActionRow | undefined {
  return db.prepare('SELECT * FROM actions WHERE id = ?').get(id) as ActionRow | undefined;
}

/** Newest first. */
export function actionsOf(db: Database, targetId: number): ActionRow[] {
  return db
    .prepare('SELECT * FROM actions WHERE target_id = ? ORDER BY id DESC')
    .all(targetId) as ActionRow[];
}

/** The last action of `kind` closed with success. */
export function lastSuccess(db: Database, targetId: number, kind: ActionKind): ActionRow | undefined {
  return db
    .prepare(
      `SELECT * FROM actions WHERE target_id = ? AND kind = ? AND status = 'finished'
       AND result = 'success' ORDER BY closed_at DESC, id DESC LIMIT 1`,
    )
    .get(targetId, kind) as ActionRow | undefined;
}

/** The last action not cancelled: what `updateStatus` is derived from. */
export function lastUncancelled(
  db: Database,
  targetId: number,
): Pick<ActionRow, 'status' | 'result'> | undefined {
  return db
    .prepare(
      "SELECT status, result FROM actions WHERE target_id = ? AND status <> 'canceled' ORDER BY id DESC LIMIT 1",
    )
    .get(targetId) as Pick<ActionRow, 'status' | 'result'> | undefined;
}

/** The newest system update of `recipeId` that failed on the target, closed at or after `since`. */
export function failedSince(
  db: Database,
  targetId: number,
  recipeId: number,
  since: number,
): Pick<ActionRow, 'id'> | undefined {
  return db
    .prepare(
      `SELECT id FROM actions WHERE target_id = ? AND kind = 'systemUpdate' AND recipe_id = ? AND
       (result = 'failure') AND closed_at >= ? ORDER BY id DESC LIMIT 1`,
    )
    .get(targetId, recipeId, since) as Pick<ActionRow, 'id'> | undefined;
}

/** The highest action id of a target (0 without actions). */
export function lastActionId(db: Database, targetId: number): number {
  return (
    (
      db.prepare('SELECT MAX(id) AS id FROM actions WHERE target_id = ?').get(targetId) as {
        id: number | null;
      }
    ).id ?? 0
  );
}

export interface NewAction {
  targetId: number;
  kind: ActionKind;
  recipeId?: number;
  dsId?: number;
  handling: string;
  maintenanceWindow: string | null;
  createdBy: string;
  createdAt: number;
}

export function insertAction(db: Database, a: NewAction): number {
  const r = db
    .prepare(
      `INSERT INTO actions (target_id, kind, recipe_id, ds_id, status, handling, maintenance_window, created_by, created_at)
       VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?)`,
    )
    .run(
      a.targetId,
      a.kind,
      a.recipeId ?? null,
      a.dsId ?? null,
      a.handling,
      a.maintenanceWindow,
      a.createdBy,
      a.createdAt,
    );
  return Number(r.lastInsertRowid);
}

export function setCancelRequested(db: Database, id: number, requested: boolean): void {
  db.prepare('UPDATE actions SET cancel_requested = ? WHERE id = ?').run(requested ? 1 : 0, id);
}

export function storeClose(
  db: Database,
  id: number,
  status: Exclude<ActionStatus, 'open'>,
  result: ActionRow['result'],
  now: number,
): void {
  db.prepare('UPDATE actions SET status = ?, result = ?, closed_at = ? WHERE id = ?').run(
    status,
    result,
    now,
    id,
  );
}

/** Is the distribution set used by any action (`open` only: by an open one)? */
export function setHasAction(db: Database, dsId: number, openOnly = false): boolean {
  return (
    db
      .prepare(`SELECT 1 FROM actions WHERE ds_id = ?${openOnly ? " AND status = 'open'" : ''} LIMIT 1`)
      .get(dsId) !== undefined
  );
}

export function recipeHasOpenAction(db: Database, recipeId: number): boolean {
  return (
    db.prepare("SELECT 1 FROM actions WHERE recipe_id = ? AND status = 'open'").get(recipeId) !== undefined
  );
}

/** Is the software module in the distribution set of one of the target's actions? */
export function moduleInActionsOf(db: Database, targetId: number, moduleId: number): boolean {
  return (
    db
      .prepare(
        'SELECT 1 FROM actions a JOIN ds_modules d ON d.ds_id = a.ds_id WHERE a.target_id = ? AND d.module_id = ? LIMIT 1',
      )
      .get(targetId, moduleId) !== undefined
  );
}

/** Feedback in arrival order (`newestFirst`: the reverse). */
export function feedbackOf(db: Database, actionId: number, newestFirst = false): FeedbackRow[] {
  return db
    .prepare(
      `SELECT feedback_id, channel, received_at, offline, body FROM feedback WHERE action_id = ? ORDER BY id${newestFirst ? ' DESC' : ''}`,
    )
    .all(actionId) as FeedbackRow[];
}

export function hasFeedbackId(db: Database, actionId: number, feedbackId: string): boolean {
  return (
    db.prepare('SELECT 1 FROM feedback WHERE action_id = ? AND feedback_id = ?').get(actionId, feedbackId) !==
    undefined
  );
}

export function insertFeedback(
  db: Database,
  actionId: number,
  f: Omit<FeedbackRow, 'offline'> & { offline: boolean },
): void {
  db.prepare(
    'INSERT INTO feedback (action_id, feedback_id, channel, received_at, offline, body) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(actionId, f.feedback_id, f.channel, f.received_at, f.offline ? 1 : 0, f.body);
}
