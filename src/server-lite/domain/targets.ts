/** Targets (gateways) and their derived state: update status, actions with feedback. */
import { randomBytes } from 'node:crypto';
import type { App } from '../app.js';
import type { ActionRow } from './actions.js';
import type { Scope } from './lifecycle.js';

export interface TargetRow {
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
  created_by: string;
  created_at: number;
  last_modified_by: string;
  last_modified_at: number;
}

/** hawkBit-style controller ids: 1–256 characters, no whitespace, slashes, `?`, `#` or `%`. */
export const CONTROLLER_ID = '^[^\\s/\\\\?#%]{1,256}$';

export function findTarget(app: App, controllerId: string): TargetRow | undefined {
  return app.db.prepare('SELECT * FROM targets WHERE controller_id = ?').get(controllerId) as
    | TargetRow
    | undefined;
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

export function findGateway(app: App, controllerId: string): GatewayRow | undefined {
  return app.db
    .prepare(
      `SELECT id, controller_id, security_token, scope, attributes, last_poll_at, address, report_requested, auto_confirm
       FROM targets WHERE controller_id = ?`,
    )
    .get(controllerId) as GatewayRow | undefined;
}

export function newToken(): string {
  return randomBytes(16).toString('hex');
}

export function insertTarget(
  app: App,
  t: { controllerId: string; name?: string; description?: string; securityToken?: string },
  actor: string,
): number {
  const now = app.clock.now();
  const r = app.db
    .prepare(
      `INSERT INTO targets (controller_id, name, description, security_token, created_by, created_at, last_modified_by,
       last_modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      t.controllerId,
      t.name ?? t.controllerId,
      t.description ?? null,
      t.securityToken ?? newToken(),
      actor,
      now,
      actor,
      now,
    );
  return Number(r.lastInsertRowid);
}

export type UpdateStatus = 'unknown' | 'registered' | 'pending' | 'in_sync' | 'error';

export function updateStatusOf(app: App, t: TargetRow): UpdateStatus {
  const last = app.db
    .prepare(
      "SELECT status, result FROM actions WHERE target_id = ? AND status <> 'canceled' ORDER BY id DESC LIMIT 1",
    )
    .get(t.id) as { status: string; result: string | null } | undefined;
  if (last?.status === 'open') return 'pending';
  if (last?.result === 'failure') return 'error';
  if (last?.result === 'success') return 'in_sync';
  return t.last_poll_at === null ? 'unknown' : 'registered';
}

interface FeedbackRow {
  feedback_id: string | null;
  channel: string;
  received_at: number;
  offline: number;
  body: string;
}

export function actionJson(app: App, a: ActionRow) {
  const feedback = (
    app.db
      .prepare(
        'SELECT feedback_id, channel, received_at, offline, body FROM feedback WHERE action_id = ? ORDER BY id',
      )
      .all(a.id) as FeedbackRow[]
  ).map((f) => {
    const body = JSON.parse(f.body) as Record<string, unknown>;
    return {
      ...(f.feedback_id !== null ? { feedbackId: f.feedback_id } : {}),
      channel: f.channel,
      receivedAt: f.received_at,
      offline: f.offline === 1,
      status: body.status,
      ...(body.timestamp !== undefined ? { timestamp: body.timestamp } : {}),
      ...(body.phase !== undefined ? { phase: body.phase } : {}),
      ...(body.modules !== undefined ? { modules: body.modules } : {}),
    };
  });
  return {
    id: a.id,
    kind: a.kind,
    ...(a.recipe_id !== null ? { recipeId: a.recipe_id } : {}),
    ...(a.ds_id !== null ? { distributionSetId: a.ds_id } : {}),
    status: a.status,
    result: a.result,
    cancelRequested: a.cancel_requested === 1,
    handling: JSON.parse(a.handling) as unknown,
    createdBy: a.created_by,
    createdAt: a.created_at,
    ...(a.closed_at !== null ? { closedAt: a.closed_at } : {}),
    feedback,
  };
}

export function actionsOf(app: App, targetId: number): ActionRow[] {
  return app.db
    .prepare('SELECT * FROM actions WHERE target_id = ? ORDER BY id DESC')
    .all(targetId) as ActionRow[];
}
