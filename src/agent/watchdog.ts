/**
 * The systemd watchdog (`WatchdogSec=`): pinged at half its interval while the update loop is alive,
 * not merely while the event loop turns. The update loop counts as alive when no step runs (the daemon
 * polls or sleeps on its timers) or when the step in progress has run for less than its own timeout. A
 * step stuck past it stops the pings: systemd restarts the agent and the update resumes from the state
 * on disk (or fails, once the step has been resumed `update.maxResumes` times).
 */
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.js';
import type { SdNotifier } from '../lib/sd-notify.js';
import type { Step } from './machine.js';
import type { StepInProgress } from './update-runner.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * How long each step may run before it counts as hung. Generous: a slow link or a slow module is not a
 * hang, and a wrongly withheld ping restarts the agent mid-transfer. Waiting steps return at once (the
 * wait is the daemon's sleep), so theirs are short.
 */
export const STEP_TIMEOUT_MS: Readonly<Record<Step, number>> = {
  fetching: 10 * MINUTE,
  verifying: 10 * MINUTE,
  matching: 30 * MINUTE,
  'waiting-consent': 10 * MINUTE,
  'waiting-window': 10 * MINUTE,
  downloading: 24 * HOUR,
  preinstall: 2 * HOUR,
  'transfer-revertible': 12 * HOUR,
  'activate-revertible': HOUR,
  'verify-revertible': HOUR,
  'transfer-forward': 12 * HOUR,
  'activate-forward': HOUR,
  'verify-forward': HOUR,
  committing: HOUR,
  reverting: 12 * HOUR,
  postinstall: 2 * HOUR,
  reporting: 30 * MINUTE,
};

/**
 * A step's timeout: STEP_TIMEOUT_MS, except that pre/postinstall get at least their scripts' own budget
 * (they run one after the other, each within `update.scriptTimeoutMs`) and ten minutes more.
 */
export function stepTimeoutFor(step: Step, scripts: number, scriptTimeoutMs: number): number {
  if (step !== 'preinstall' && step !== 'postinstall') return STEP_TIMEOUT_MS[step];
  return Math.max(STEP_TIMEOUT_MS[step], scripts * scriptTimeoutMs + 10 * MINUTE);
}

export interface WatchdogOptions {
  notifier: Pick<SdNotifier, 'watchdog'>;
  /** systemd's interval (`WATCHDOG_USEC`): pings go at half of it. */
  intervalMs: number;
  clock: Clock;
  log: Logger;
  /** The update runner's step in progress. */
  stepInProgress: () => StepInProgress | undefined;
  /** The timeout of the step in progress where it is not STEP_TIMEOUT_MS's (scripts, tests). */
  stepTimeoutMs?: (running: StepInProgress) => number | undefined;
}

export class Watchdog {
  private withheld: string | undefined;

  constructor(private readonly options: WatchdogOptions) {}

  /** The step stuck past its timeout, or undefined while the update loop is alive. */
  stuck(): (StepInProgress & { timeoutMs: number }) | undefined {
    const running = this.options.stepInProgress();
    if (running === undefined) return undefined;
    const timeoutMs = this.options.stepTimeoutMs?.(running) ?? STEP_TIMEOUT_MS[running.step];
    return this.options.clock.now() - running.since > timeoutMs ? { ...running, timeoutMs } : undefined;
  }

  /** One check: pings when the update loop is alive; says once per stuck step why it stopped pinging. */
  async tick(): Promise<'pinged' | 'withheld'> {
    const stuck = this.stuck();
    if (stuck !== undefined) {
      const key = `${stuck.actionId}/${stuck.step}/${stuck.since}`;
      if (this.withheld !== key)
        this.options.log.error(
          { actionId: stuck.actionId, step: stuck.step, timeoutMs: stuck.timeoutMs },
          'update loop stuck: a step ran past its timeout, watchdog pings stop',
        );
      this.withheld = key;
      return 'withheld';
    }
    this.withheld = undefined;
    await this.options.notifier.watchdog();
    return 'pinged';
  }

  /** Checks at half the interval until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const everyMs = Math.max(500, Math.floor(this.options.intervalMs / 2));
    while (!signal.aborted) {
      try {
        await this.options.clock.sleep(everyMs, signal);
      } catch {
        return;
      }
      await this.tick();
    }
  }
}
