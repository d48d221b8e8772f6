/**
 * The command dispatcher: the one place a command to the running daemon is carried out, whoever sent
 * it — the command line through the control socket (`check`, `consent`, `report`, `install`, `ping`),
 * or a local app through the MQTT local API (consent answers, `check`, `install`).
 */
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.js';
import { oneLine } from '../lib/errors.js';
import type { SystemReport } from '../recipe/types.js';
import type { AgentConfig } from './config.js';
import type { ControlAnswer, ControlRequest } from './control-socket.js';
import { bundleDir, unpackOffline } from './offline.js';
import { type ConsentRequest, PENDING_CONSENT } from './steps/consent.js';
import type { StateStore } from './store.js';
import type { UpdateRunner } from './update-runner.js';

/** A command to the daemon (the control socket's request, which the MQTT commands are a part of). */
export type DaemonCommand = ControlRequest;
export type CommandAnswer = ControlAnswer;

export interface DispatcherDeps {
  config: AgentConfig;
  store: StateStore;
  runner: Pick<UpdateRunner, 'current' | 'startOffline'>;
  clock: Clock;
  log: Logger;
  /** A fresh system report (probes the modules). */
  inventory: (signal: AbortSignal) => Promise<SystemReport>;
  /** Ends the daemon's sleep: the next round starts now. */
  wake: () => void;
  /** Publishes the status on the local API (when there is one). */
  publish: () => void;
  signal: AbortSignal;
  /** Offline bundles are opened by this (tests pass their own). */
  unpack?: typeof unpackOffline;
}

export type Dispatch = (command: DaemonCommand) => Promise<CommandAnswer>;

export function createDispatcher(deps: DispatcherDeps): Dispatch {
  const { config, store, runner, clock, log } = deps;
  const unpack = deps.unpack ?? unpackOffline;
  const busy = (): CommandAnswer | undefined => {
    const current = runner.current;
    return current === undefined
      ? undefined
      : { ok: false, error: `action ${current.ctx.actionId} is in progress: try again when it has ended` };
  };

  const consent = (decision: 'accept' | 'deny', actionId: string | undefined, by: string): CommandAnswer => {
    const pending = store.get<ConsentRequest>(PENDING_CONSENT);
    if (pending === undefined) return { ok: false, error: 'no consent request is pending' };
    if (actionId !== undefined && actionId !== pending.actionId) {
      return {
        ok: false,
        error: `no consent request is pending for action ${actionId} (pending: ${pending.actionId})`,
      };
    }
    store.saveConsent({ actionId: pending.actionId, decision, by, at: clock.now() });
    deps.wake();
    return { ok: true, actionId: pending.actionId };
  };

  /** Checked and started here, run by the daemon's loop. */
  const install = async (bundle: string, allowDowngrade: boolean): Promise<CommandAnswer> => {
    const before = busy();
    if (before !== undefined) return before;
    try {
      const manifest = await unpack(config, bundle, {
        installed: store.get('installedRecipe'),
        allowDowngrade,
      });
      if (store.isFinished(manifest.actionId))
        return { ok: false, error: `action ${manifest.actionId} was already installed here` };
      // an action may have started while the bundle was checked
      const started = busy();
      if (started !== undefined) return started;
      runner.startOffline(manifest.actionId, bundleDir(config, manifest.actionId), manifest.recipe);
      deps.wake();
      deps.publish();
      return { ok: true, actionId: manifest.actionId };
    } catch (err) {
      log.warn({ bundle, err: oneLine(err) }, 'bundle refused');
      return { ok: false, error: oneLine(err) };
    }
  };

  return async (command) => {
    switch (command.command) {
      case 'ping':
        return { ok: true, pid: process.pid };
      case 'check':
        deps.wake();
        return { ok: true };
      case 'consent':
        return consent(command.decision, command.actionId, command.by);
      case 'report': {
        // while an update streams to modules, probing them would interleave with the transfer: the
        // report taken for the update (at matching) stands for the system until it ends
        const last = store.get<SystemReport>('report.last');
        if (runner.current !== undefined && last !== undefined)
          return { ok: true, report: last, cached: true };
        return { ok: true, report: await deps.inventory(deps.signal) };
      }
      case 'install':
        return install(command.bundle, command.allowDowngrade === true);
      default: {
        const never: never = command;
        return never;
      }
    }
  };
}
