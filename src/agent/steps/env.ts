/** What every step of the update runner gets: the agent's services and the action's own files. */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { HandlerRegistry } from '../../handlers/registry.js';
import type { Clock } from '../../lib/clock.js';
import { pathSegment } from '../../lib/path-segment.js';
import type { LinkProvider } from '../../protocols/buses/types.js';
import type { Jwks } from '../../recipe/jws.js';
import type { SystemReport } from '../../recipe/types.js';
import type { ActionContext } from '../action.js';
import type { AgentConfig } from '../config.js';
import type { InstallApi } from '../install-api.js';
import type { Limits } from '../machine.js';
import type { StateStore } from '../store.js';

export interface RunnerDeps {
  config: AgentConfig;
  store: StateStore;
  api: InstallApi;
  registry: HandlerRegistry;
  clock: Clock;
  log: Logger;
  links: LinkProvider;
  /** A fresh inventory (probes the modules now). */
  inventory: (signal: AbortSignal) => Promise<SystemReport>;
  /** Sends the system report when it changed (after an update). */
  sendReport: (signal: AbortSignal) => Promise<void>;
  /** The trust store (`trust.keys`). */
  trust: () => Promise<Jwks>;
  limits: Limits;
  /** Called after feedback was put in the outbox (the daemon delivers it now, in the background). */
  onFeedback?: () => void;
}

export interface StepEnv extends RunnerDeps {
  ctx: ActionContext;
  signal: AbortSignal;
  /** Persists the context (same machine state) before returning. */
  save: () => void;
}

export function actionDir(dataDir: string, actionId: string): string {
  return join(dataDir, 'actions', pathSegment(actionId, 'action id'));
}
