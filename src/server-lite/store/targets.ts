/** Targets (gateways): the `targets` table. */
import type { Scope } from '../domain/lifecycle.js';
import type { AuditRow } from './audit.js';
import type { Database } from './sqlite.js';

export interface TargetRow extends AuditRow {
  id: number;
  controller_id: string;
  name: string;
  description: string | null;
  security_token: string;
  scope: Scope;
  attributes: string;
  last_poll_at: number | null;
  address: string | null;
  last_report: string | null;
  last_report_at: number | null;
  report_hash: string | null;
  report_changed_at: number | null;
  report_requested: number;
  matched_recipe_id: number | null;
  matched_rc_recipe_id: number | null;
  auto_confirm: number;
  /** Failed system updates up to this action id no longer block a reopening (`systems/{id}/retry`). */
  retry_floor: number | null;
}

/** What the Install API needs of a target on every request: few columns, cheap to read per poll. */
export type GatewayRow = Pick<
  TargetRow,
  | 'id'
  | 'controller_id'
  | 'security_token'
  | 'scope'
  | 'attributes'
  | 'last_poll_at'
  | 'address'
  | 'report_requested'
  | 'auto_confirm'
>;

/** What the action rules read of a target. */
export type TargetState = Pick<
  TargetRow,
  'id' | 'scope' | 'matched_recipe_id' | 'report_changed_at' | 'last_report' | 'retry_floor'
>;

/** What the match job reads of a target. */
export type MatchTarget = Pick<TargetRow, 'id' | 'controller_id' | 'scope' | 'last_report'>;

export function findTarget(db: Database, controllerId: string): TargetRow | undefined {
  return db.prepare('SELECT * FROM targets WHERE controller_id = ?').get(controllerId) as
    | TargetRow
    | undefined;
}

export function findGateway(db: Database, controllerId: string): GatewayRow | undefined {
  return db
    .prepare(
      `SELECT id, controller_id, security_token, scope, attributes, last_poll_at, address, report_requested, auto_confirm
       FROM targets WHERE controller_id = ?`,
    )
    .get(controllerId) as GatewayRow | undefined;
}

export function targetState(db: Database, id: number): TargetState | undefined {
  return db
    .prepare(
      'SELECT id, scope, matched_recipe_id, report_changed_at, last_report, retry_floor FROM targets WHERE id = ?',
    )
    .get(id) as TargetState | undefined;
}

export function listTargets(db: Database): TargetRow[] {
  return db.prepare('SELECT * FROM targets ORDER BY id').all() as TargetRow[];
}

/** Every target (`id` null) or one, with what the match job needs. */
export function matchTargets(db: Database, id: number | null): MatchTarget[] {
  return (
    id === null
      ? db.prepare('SELECT id, controller_id, scope, last_report FROM targets').all()
      : db.prepare('SELECT id, controller_id, scope, last_report FROM targets WHERE id = ?').all(id)
  ) as MatchTarget[];
}

/** Targets that sent a system report: the total of coverage. */
export function countReported(db: Database): number {
  return (
    db.prepare('SELECT COUNT(*) AS n FROM targets WHERE last_report IS NOT NULL').get() as { n: number }
  ).n;
}

export interface NewTarget {
  controllerId: string;
  name?: string;
  description?: string;
  securityToken: string;
}

export function insertTarget(db: Database, t: NewTarget, actor: string, now: number): number {
  const r = db
    .prepare(
      `INSERT INTO targets (controller_id, name, description, security_token, created_by, created_at, last_modified_by,
       last_modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      t.controllerId,
      t.name ?? t.controllerId,
      t.description ?? null,
      t.securityToken,
      actor,
      now,
      actor,
      now,
    );
  return Number(r.lastInsertRowid);
}

export function updateTarget(
  db: Database,
  id: number,
  t: { name: string; description: string | null; securityToken: string },
  who: string,
  now: number,
): void {
  db.prepare(
    'UPDATE targets SET name = ?, description = ?, security_token = ?, last_modified_by = ?, last_modified_at = ? WHERE id = ?',
  ).run(t.name, t.description, t.securityToken, who, now, id);
}

export function deleteTarget(db: Database, id: number): void {
  db.prepare('DELETE FROM targets WHERE id = ?').run(id);
}

export function setScope(db: Database, id: number, scope: Scope, who: string, now: number): void {
  db.prepare('UPDATE targets SET scope = ?, last_modified_by = ?, last_modified_at = ? WHERE id = ?').run(
    scope,
    who,
    now,
    id,
  );
}

export function requestReport(db: Database, id: number): void {
  db.prepare('UPDATE targets SET report_requested = 1 WHERE id = ?').run(id);
}

export function setAttributes(db: Database, id: number, json: string): void {
  db.prepare('UPDATE targets SET attributes = ? WHERE id = ?').run(json, id);
}

export function setAutoConfirm(db: Database, id: number, on: boolean): void {
  db.prepare('UPDATE targets SET auto_confirm = ? WHERE id = ?').run(on ? 1 : 0, id);
}

export function setLastPoll(db: Database, id: number, at: number, address: string): void {
  db.prepare('UPDATE targets SET last_poll_at = ?, address = ? WHERE id = ?').run(at, address, id);
}

/** Stores a system report; `report_changed_at` moves only when the content hash differs. */
export function storeReport(db: Database, id: number, text: string, hash: string, now: number): void {
  db.prepare(
    `UPDATE targets SET last_report = ?, last_report_at = ?, report_requested = 0, last_poll_at = ?,
     report_changed_at = CASE WHEN report_hash IS ? THEN report_changed_at ELSE ? END, report_hash = ? WHERE id = ?`,
  ).run(text, now, now, hash, now, hash, id);
}

export function setMatched(
  db: Database,
  id: number,
  recipeId: number | null,
  rcRecipeId: number | null,
): void {
  db.prepare('UPDATE targets SET matched_recipe_id = ?, matched_rc_recipe_id = ? WHERE id = ?').run(
    recipeId,
    rcRecipeId,
    id,
  );
}

/** A deleted recipe is no longer anybody's match. */
export function forgetMatchedRecipe(db: Database, recipeId: number): void {
  db.prepare('UPDATE targets SET matched_recipe_id = NULL WHERE matched_recipe_id = ?').run(recipeId);
  db.prepare('UPDATE targets SET matched_rc_recipe_id = NULL WHERE matched_rc_recipe_id = ?').run(recipeId);
}

export function setRetryFloor(db: Database, id: number, actionId: number): void {
  db.prepare('UPDATE targets SET retry_floor = ? WHERE id = ?').run(actionId, id);
}
