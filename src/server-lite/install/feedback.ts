/**
 * Recording action feedback (`install-api.md`): parse and shape (400), a known `feedbackId` → recorded
 * already (200 whatever the action's state), feedback on a closed action → 410 (offline records are
 * kept in the history without reopening), else recorded and, when final, the action closes.
 * The legacy DDI fields `id` and `time` are accepted and ignored.
 */

import { EXECUTIONS, FINISHED, MODULE_STATES, PHASES } from '../../recipe/status.js';
import type { App } from '../app.js';
import { closeAction } from '../domain/actions.js';
import { ApiError, badRequest } from '../http/errors.js';
import { checkShape, type JsonSchema } from '../http/shape.js';
import {
  type ActionRow,
  findAction,
  hasFeedbackId,
  insertFeedback,
  setCancelRequested,
} from '../store/actions.js';

const PROGRESS = {
  type: 'object',
  properties: { cnt: { type: 'integer', minimum: 0 }, of: { type: 'integer', minimum: 0 } },
  required: ['cnt', 'of'],
};
const DETAILS = { type: 'array', items: { type: 'string', maxLength: 4096 }, maxItems: 1000 };

export const FEEDBACK_SHAPE: JsonSchema = {
  type: 'object',
  properties: {
    feedbackId: { type: 'string', minLength: 1, maxLength: 128 },
    timestamp: { type: 'number' },
    status: {
      type: 'object',
      properties: {
        execution: { enum: [...EXECUTIONS] },
        result: {
          type: 'object',
          properties: { finished: { enum: [...FINISHED] }, progress: PROGRESS },
          required: ['finished'],
        },
        code: { type: 'integer' },
        details: DETAILS,
      },
      required: ['execution', 'result'],
    },
    phase: { enum: [...PHASES] },
    modules: {
      type: 'array',
      maxItems: 10000,
      items: {
        type: 'object',
        properties: {
          module: { type: 'string', maxLength: 256 },
          definition: { type: 'string', maxLength: 64 },
          state: { enum: [...MODULE_STATES] },
          fromVersion: { type: 'string', maxLength: 256 },
          toVersion: { type: 'string', maxLength: 256 },
          progress: PROGRESS,
          details: DETAILS,
        },
        required: ['module', 'state'],
      },
    },
    offline: { type: 'boolean' },
  },
  required: ['status'],
};

export interface Feedback {
  feedbackId?: string;
  timestamp?: number;
  status: {
    execution: (typeof EXECUTIONS)[number];
    result: { finished: (typeof FINISHED)[number]; progress?: { cnt: number; of: number } };
    code?: number;
    details?: string[];
  };
  phase?: string;
  modules?: unknown[];
  offline?: boolean;
}

export function parseFeedback(value: unknown, what = 'body'): Feedback {
  const f = checkShape<Feedback & { id?: unknown; time?: unknown }>(FEEDBACK_SHAPE, value, what);
  const { id: _legacyId, time: _legacyTime, ...rest } = f;
  return rest;
}

export type Channel = 'systemUpdate' | 'deployment' | 'cancel' | 'confirmation';

/** What a final feedback does to its action (null: not final). */
function outcome(
  kind: ActionRow['kind'],
  f: Feedback,
): { status: 'finished' | 'canceled'; result: 'success' | 'failure' | null } | null {
  const { execution } = f.status;
  const finished = f.status.result.finished;
  if (kind === 'systemUpdate') {
    if (execution === 'closed') {
      if (finished === 'none')
        throw badRequest(
          'feedback.invalid',
          'status.result.finished: a closed system update is success or failure',
        );
      return { status: 'finished', result: finished };
    }
    if (execution === 'rejected') return { status: 'finished', result: 'failure' };
    if (execution === 'canceled') return { status: 'canceled', result: null };
    return null;
  }
  // plain DDI, as hawkBit: closed is final (failure or else success); rejected keeps the action open
  if (execution === 'closed')
    return { status: 'finished', result: finished === 'failure' ? 'failure' : 'success' };
  return null;
}

export type Recorded = 'recorded' | 'duplicate' | 'history';

/** Call inside a transaction. */
export function recordFeedback(
  app: App,
  action: ActionRow,
  f: Feedback,
  channel: Channel,
  offline: boolean,
  actor: string,
): Recorded {
  if (f.feedbackId !== undefined) {
    if (hasFeedbackId(app.db, action.id, f.feedbackId)) return 'duplicate';
  }
  const current = findAction(app.db, action.id) as ActionRow;
  if (current.status !== 'open' && !offline)
    throw new ApiError(
      410,
      'soup.action.closed',
      `action ${action.id} is ${current.status}: stop reporting it`,
    );
  insertFeedback(app.db, action.id, {
    feedback_id: f.feedbackId ?? null,
    channel,
    received_at: app.clock.now(),
    offline,
    body: JSON.stringify(f),
  });
  if (current.status !== 'open') return 'history';
  if (channel === 'cancel') {
    if (f.status.execution === 'closed' && f.status.result.finished !== 'failure')
      closeAction(app, current, 'canceled', null, actor);
    else if (f.status.execution === 'rejected' || f.status.result.finished === 'failure')
      setCancelRequested(app.db, current.id, false);
    return 'recorded';
  }
  if (channel === 'confirmation') return 'recorded';
  const o = outcome(current.kind, f);
  if (o) closeAction(app, current, o.status, o.result, actor);
  return 'recorded';
}
