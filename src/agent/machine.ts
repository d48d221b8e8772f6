/**
 * The update machine: a pure transition function over typed states, with ONE transition table
 * (`TRANSITIONS`, drawn in docs/update-machine.md). No I/O here: the update runner (update-runner.ts)
 * performs the work of each state, turns the result into an event and asks `transition` for the next
 * state, which it persists before starting that state's work.
 *
 * Steps follow `agent.md` ("The update, step by step"): revertible modules are transferred, activated
 * and verified first (`*-revertible`), then the non-revertible ones (`*-forward`). Entering
 * `transfer-forward` is the point of no return: from there every failure rolls forward through
 * `committing` (what can be committed is) and is reported naming each module's end state.
 */
import type { Phase } from '../recipe/status.js';

export const STEPS = [
  'fetching',
  'verifying',
  'matching',
  'waiting-consent',
  'waiting-window',
  'downloading',
  'preinstall',
  'transfer-revertible',
  'activate-revertible',
  'verify-revertible',
  'transfer-forward',
  'activate-forward',
  'verify-forward',
  'committing',
  'reverting',
  'postinstall',
  'reporting',
] as const;
export type Step = (typeof STEPS)[number];

/** How an action ends (mapped onto DDI/SOUP feedback by feedback.ts). */
export interface Outcome {
  result: 'success' | 'failure' | 'rejected' | 'canceled';
  details: string[];
}

type PlainStep = Exclude<Step, 'committing' | 'reverting' | 'reporting'>;

export type UpdateState =
  | { step: PlainStep; attempt: number }
  /** `failure`: why the roll-forward failed (empty on the success path). */
  | { step: 'committing'; attempt: number; failure: string[] }
  /** `outcome`: what is reported once every revertible module is back. */
  | { step: 'reverting'; attempt: number; outcome: Outcome }
  | { step: 'reporting'; attempt: number; outcome: Outcome }
  | { step: 'idle' };

export type UpdateEvent =
  /** The step's work is done. */
  | { type: 'ok' }
  /** matching: the action needs a user's consent first. */
  | { type: 'needs-consent' }
  /** The gateway refuses the action (signature, schema, match, consent denied). */
  | { type: 'reject'; reasons: string[] }
  /** The step failed; `retryable` failures are tried again up to `limits.stepAttempts` times. */
  | { type: 'fail'; reason: string; retryable: boolean }
  /** The server cancelled the action (DDI cancelAction). */
  | { type: 'cancel' };
export type EventType = UpdateEvent['type'];

/** The transition table: for each step, the next step per event. A missing entry = event not allowed. */
export const TRANSITIONS: Readonly<Record<Step, Partial<Record<EventType, Step | 'idle'>>>> = {
  fetching: { ok: 'verifying', fail: 'reporting', cancel: 'reporting' },
  verifying: { ok: 'matching', reject: 'reporting', fail: 'reporting', cancel: 'reporting' },
  matching: {
    ok: 'waiting-window',
    'needs-consent': 'waiting-consent',
    reject: 'reporting',
    fail: 'reporting',
    cancel: 'reporting',
  },
  'waiting-consent': { ok: 'waiting-window', reject: 'reporting', fail: 'reporting', cancel: 'reporting' },
  'waiting-window': { ok: 'downloading', fail: 'reporting', cancel: 'reporting' },
  downloading: { ok: 'preinstall', fail: 'reporting', cancel: 'reporting' },
  preinstall: { ok: 'transfer-revertible', fail: 'reporting', cancel: 'reporting' },
  'transfer-revertible': { ok: 'activate-revertible', fail: 'reverting', cancel: 'reverting' },
  'activate-revertible': { ok: 'verify-revertible', fail: 'reverting', cancel: 'reverting' },
  'verify-revertible': { ok: 'transfer-forward', fail: 'reverting', cancel: 'reverting' },
  'transfer-forward': { ok: 'activate-forward', fail: 'committing' },
  'activate-forward': { ok: 'verify-forward', fail: 'committing' },
  'verify-forward': { ok: 'committing', fail: 'committing' },
  committing: { ok: 'postinstall', fail: 'reporting' },
  reverting: { ok: 'reporting', fail: 'reporting' },
  postinstall: { ok: 'reporting', fail: 'reporting' },
  reporting: { ok: 'idle', fail: 'idle' },
};

export interface Limits {
  /** Tries of a step that fails with a retryable error. */
  stepAttempts: number;
  /** Starts of the agent in the same persisted step before it counts as a failure (crash loops). */
  maxResumes: number;
}

export const INITIAL = { step: 'fetching', attempt: 0 } as const satisfies UpdateState;

/** The step at and after which the update rolls forward. */
export const POINT_OF_NO_RETURN: Step = 'transfer-forward';

export function isForward(step: Step): boolean {
  return STEPS.indexOf(step) >= STEPS.indexOf(POINT_OF_NO_RETURN) && step !== 'reverting';
}

function outcomeOf(event: UpdateEvent): Outcome {
  switch (event.type) {
    case 'ok':
    case 'needs-consent':
      return { result: 'success', details: [] };
    case 'reject':
      return { result: 'rejected', details: event.reasons };
    case 'fail':
      return { result: 'failure', details: [event.reason] };
    case 'cancel':
      return { result: 'canceled', details: ['canceled by the server'] };
    default: {
      const never: never = event;
      return never;
    }
  }
}

/**
 * The next state, or `undefined` when the event is not allowed in this state (a cancel after the
 * point of no return). Retryable failures stay in the step with one more attempt, up to the limit.
 */
export function transition(state: UpdateState, event: UpdateEvent, limits: Limits): UpdateState | undefined {
  if (state.step === 'idle') return undefined;
  if (event.type === 'fail' && event.retryable && state.attempt + 1 < limits.stepAttempts) {
    return { ...state, attempt: state.attempt + 1 };
  }
  const to = TRANSITIONS[state.step][event.type];
  if (to === undefined) return undefined;
  switch (to) {
    case 'idle':
      return { step: 'idle' };
    case 'committing':
      return { step: 'committing', attempt: 0, failure: event.type === 'fail' ? [event.reason] : [] };
    case 'reverting':
      return { step: 'reverting', attempt: 0, outcome: outcomeOf(event) };
    case 'reporting': {
      if (state.step === 'reverting') {
        const details =
          event.type === 'fail'
            ? [...state.outcome.details, `revert failed: ${event.reason}`]
            : state.outcome.details;
        return { step: 'reporting', attempt: 0, outcome: { result: state.outcome.result, details } };
      }
      return { step: 'reporting', attempt: 0, outcome: outcomeOf(event) };
    }
    default:
      return { step: to, attempt: 0 };
  }
}

/**
 * Recovery on start (Mender's LoadStateFromDb): what to do with the state found in the database.
 * `resumes` counts the starts in this very state (this one included).
 */
export function recover(state: UpdateState, resumes: number, limits: Limits): UpdateState {
  if (state.step === 'idle') return state;
  if (resumes > limits.maxResumes) {
    const next = transition(
      state,
      {
        type: 'fail',
        reason: `the agent restarted ${resumes} times in step ${state.step}`,
        retryable: false,
      },
      limits,
    );
    return next ?? { step: 'idle' };
  }
  switch (state.step) {
    // nothing was installed yet and the work is cheap: start the checks again from the action itself
    case 'fetching':
    case 'verifying':
    case 'matching':
      return { step: 'fetching', attempt: 0 };
    // resume: waiting is re-entered, downloads resume from their partial files, handler steps are
    // idempotent and skip modules already past the step, commit/revert/reporting are repeatable
    case 'waiting-consent':
    case 'waiting-window':
    case 'downloading':
    case 'preinstall':
    case 'transfer-revertible':
    case 'activate-revertible':
    case 'verify-revertible':
    case 'transfer-forward':
    case 'activate-forward':
    case 'verify-forward':
    case 'committing':
    case 'reverting':
    case 'postinstall':
    case 'reporting':
      return state;
    default: {
      const never: never = state;
      return never;
    }
  }
}

/** The phase shown by `status` and sent in feedback. */
export function phaseOf(state: UpdateState): Phase {
  switch (state.step) {
    case 'idle':
      return 'idle';
    case 'fetching':
    case 'verifying':
    case 'matching':
    case 'waiting-consent':
    case 'waiting-window':
    case 'downloading':
    case 'preinstall':
    case 'committing':
    case 'reverting':
    case 'postinstall':
    case 'reporting':
      return state.step;
    case 'transfer-revertible':
    case 'transfer-forward':
      return 'transferring';
    case 'activate-revertible':
    case 'activate-forward':
      return 'activating';
    case 'verify-revertible':
    case 'verify-forward':
      return 'verifying-target';
    default: {
      const never: never = state;
      return never;
    }
  }
}

/** Steps of `agent.md`'s sequence completed when this state starts (`status.result.progress.cnt` of 11). */
export function stepsDone(state: UpdateState): number {
  switch (state.step) {
    case 'idle':
      return 11;
    case 'fetching':
      return 1;
    case 'verifying':
      return 2;
    case 'matching':
      return 3;
    case 'waiting-consent':
    case 'waiting-window':
      return 4;
    case 'downloading':
      return 5;
    case 'preinstall':
      return 6;
    case 'transfer-revertible':
    case 'activate-revertible':
    case 'verify-revertible':
      return 7;
    case 'transfer-forward':
    case 'activate-forward':
    case 'verify-forward':
      return 8;
    case 'committing':
    case 'reverting':
      return 9;
    case 'postinstall':
      return 10;
    case 'reporting':
      return 10;
    default: {
      const never: never = state;
      return never;
    }
  }
}
