/**
 * The closed status vocabulary shared by the agent, its feedback, `status` and server-lite.
 * Each value has one doc line; adding one means updating every exhaustive switch (the compiler finds them).
 */

/** The agent's phase (`agent.md`, "The update, step by step"). */
export const PHASES = [
  'idle', // no action in progress
  'fetching', // fetching the action, the recipe file and its signatures
  'verifying', // checking signatures, schema and operator whitelist
  'matching', // matching the recipe against a fresh inventory and planning per module
  'waiting-consent', // waiting for a user's accept/deny
  'waiting-window', // waiting for the maintenance window to open
  'downloading', // downloading artifacts with resume and hash checks
  'preinstall', // running preinstall scripts
  'transferring', // streaming images to modules
  'activating', // test-booting the new images
  'verifying-target', // checking each module runs its target version
  'committing', // confirming every module
  'reverting', // rolling revertible modules back
  'postinstall', // running postinstall scripts
  'reporting', // sending the new system report and the final feedback
] as const;
export type Phase = (typeof PHASES)[number];

/** A module's state within a system update (`install-api.md`). */
export const MODULE_STATES = [
  'pending', // planned, nothing done yet
  'skipped', // already at target version
  'downloading', // its artifacts are being downloaded
  'transferring', // its image is being streamed to it
  'transferred', // the whole image is on the module, not yet active
  'activated', // test-booted into the new image
  'verified', // runs the target version
  'committed', // the new image is permanent
  'reverted', // back on the old image
  'revert-failed', // a revert was attempted and failed: state between old and new
  'failed', // the update of this module failed
] as const;
export type ModuleState = (typeof MODULE_STATES)[number];

/** DDI `status.execution`. */
export const EXECUTIONS = [
  'closed',
  'proceeding',
  'canceled',
  'scheduled',
  'rejected',
  'resumed',
  'downloaded',
  'download',
] as const;
export type Execution = (typeof EXECUTIONS)[number];

/** DDI `status.result.finished`. */
export const FINISHED = ['success', 'failure', 'none'] as const;
export type Finished = (typeof FINISHED)[number];

/** Number of steps in `agent.md`'s update sequence: `status.result.progress.of`. */
export const UPDATE_STEPS = 11;

export interface Progress {
  cnt: number;
  of: number;
}

export interface ModuleFeedback {
  /** The module's id from the system report. */
  module: string;
  /** The module update definition's name. */
  definition: string;
  state: ModuleState;
  fromVersion?: string;
  toVersion?: string;
  progress?: Progress;
  details?: string[];
}

/** Body of `POST systemUpdate/{actionId}/feedback` (`install-api.md`). */
export interface SystemUpdateFeedback {
  feedbackId: string;
  /** UTC milliseconds. */
  timestamp: number;
  status: {
    execution: Execution;
    result: { finished: Finished; progress?: Progress };
    code?: number;
    details?: string[];
  };
  phase?: Phase;
  modules?: ModuleFeedback[];
  offline?: boolean;
}
