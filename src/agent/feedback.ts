/**
 * Feedback bodies: SOUP system update feedback (`install-api.md`) and plain DDI action feedback. Pure.
 * On plain DDI a refusal is `closed` + `failure` with details `rejected: <reason>` (hawkBit keeps a
 * `rejected` action open); on a SOUP system update `rejected` closes the action.
 */
import type {
  Execution,
  Finished,
  ModuleFeedback,
  Phase,
  Progress,
  SystemUpdateFeedback,
} from '../recipe/status.js';
import { UPDATE_STEPS } from '../recipe/status.js';
import type { ActionContext } from './action.js';
import type { Outcome } from './machine.js';

export interface FeedbackStatus {
  execution: Execution;
  finished: Finished;
  details: string[];
}

export function moduleFeedback(ctx: ActionContext): ModuleFeedback[] {
  return ctx.modules.map((m) => ({
    module: m.id,
    definition: m.definition,
    state: m.state,
    ...(m.fromVersion === undefined ? {} : { fromVersion: m.fromVersion }),
    ...(m.toVersion === undefined ? {} : { toVersion: m.toVersion }),
    ...(m.progress === undefined ? {} : { progress: m.progress }),
    details: m.details,
  }));
}

/** The final status for an outcome, per action kind. */
export function finalStatus(kind: ActionContext['kind'], outcome: Outcome): FeedbackStatus {
  switch (outcome.result) {
    case 'success':
      return { execution: 'closed', finished: 'success', details: outcome.details };
    case 'failure':
      return { execution: 'closed', finished: 'failure', details: outcome.details };
    case 'rejected':
      return kind === 'system'
        ? { execution: 'rejected', finished: 'failure', details: outcome.details }
        : { execution: 'closed', finished: 'failure', details: outcome.details.map((d) => `rejected: ${d}`) };
    case 'canceled':
      return { execution: 'canceled', finished: 'success', details: outcome.details };
    default: {
      const never: never = outcome.result;
      return never;
    }
  }
}

/** A feedback body for this action (without feedbackId on plain DDI, where stock servers do not know it). */
export function feedbackBody(
  ctx: ActionContext,
  feedbackId: string,
  timestamp: number,
  status: FeedbackStatus,
  phase: Phase,
  progress: Progress,
): Record<string, unknown> {
  const ddiStatus = {
    execution: status.execution,
    result: { finished: status.finished, progress },
    ...(status.details.length === 0 ? {} : { details: status.details }),
  };
  if (ctx.kind === 'ddi') return { timestamp, status: ddiStatus };
  const body: SystemUpdateFeedback = {
    feedbackId,
    timestamp,
    status: { ...ddiStatus, details: status.details },
    phase,
    modules: moduleFeedback(ctx),
    offline: ctx.offline !== undefined,
  };
  // recorded offline: `offlineFeedback` records carry the action and recipe they belong to
  if (ctx.offline !== undefined) return { actionId: ctx.actionId, recipeId: ctx.recipe?.id ?? '', ...body };
  return body as unknown as Record<string, unknown>;
}

export function progressOf(cnt: number): Progress {
  return { cnt, of: UPDATE_STEPS };
}
