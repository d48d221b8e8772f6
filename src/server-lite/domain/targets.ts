/** Targets (gateways) and their derived state: registration, update status, actions with feedback. */
import { randomBytes } from 'node:crypto';
import type { App } from '../app.js';
import { type ActionRow, feedbackOf, lastUncancelled } from '../store/actions.js';
import { insertTarget, type TargetRow } from '../store/targets.js';

export type { GatewayRow, TargetRow } from '../store/targets.js';

/**
 * hawkBit-style controller ids: 1–256 characters, no whitespace, control characters, slashes, `?`, `#`
 * or `%`, and not `.` or `..` (a path parameter must never read as a path step).
 */
export const CONTROLLER_ID = '^(?!\\.{1,2}$)[^\\s/\\\\?#%\\u0000-\\u001f\\u007f]{1,256}$';

const CONTROLLER_ID_RE = new RegExp(CONTROLLER_ID);

export function isControllerId(id: string): boolean {
  return CONTROLLER_ID_RE.test(id);
}

export function newToken(): string {
  return randomBytes(16).toString('hex');
}

/** Registers a target; a token is generated when none is given. */
export function registerTarget(
  app: App,
  t: { controllerId: string; name?: string; description?: string; securityToken?: string },
  actor: string,
): number {
  return insertTarget(app.db, { ...t, securityToken: t.securityToken ?? newToken() }, actor, app.clock.now());
}

export type UpdateStatus = 'unknown' | 'registered' | 'pending' | 'in_sync' | 'error';

export function updateStatusOf(app: App, t: TargetRow): UpdateStatus {
  const last = lastUncancelled(app.db, t.id);
  if (last?.status === 'open') return 'pending';
  if (last?.result === 'failure') return 'error';
  if (last?.result === 'success') return 'in_sync';
  return t.last_poll_at === null ? 'unknown' : 'registered';
}

export function actionJson(app: App, a: ActionRow) {
  const feedback = feedbackOf(app.db, a.id).map((f) => {
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
