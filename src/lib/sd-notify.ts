/**
 * systemd notification (sd_notify): READY=1, STATUS=…, WATCHDOG=1, STOPPING=1.
 *
 * Node cannot send AF_UNIX datagrams, so each notification runs `systemd-notify`, which needs
 * `NotifyAccess=all` in the unit (systemd/soup-agent.service). Outside systemd (`NOTIFY_SOCKET` unset)
 * every call is a no-op. The watchdog interval comes from `WATCHDOG_USEC` (honoured only when
 * `WATCHDOG_PID` is unset or ours); the daemon pings at half of it.
 */
import { spawn } from 'node:child_process';

export interface SdNotifier {
  /** Whether a service manager listens (NOTIFY_SOCKET is set). */
  readonly active: boolean;
  /** The watchdog interval in ms, when systemd expects pings. */
  readonly watchdogMs: number | undefined;
  ready(status?: string): Promise<void>;
  status(text: string): Promise<void>;
  watchdog(): Promise<void>;
  stopping(): Promise<void>;
}

export type NotifySender = (assignments: string[], socket: string) => Promise<void>;

export function createSdNotifier(
  env: NodeJS.ProcessEnv = process.env,
  send: NotifySender = sendWithSystemdNotify,
): SdNotifier {
  const active = Boolean(env.NOTIFY_SOCKET);
  const usec = Number(env.WATCHDOG_USEC);
  const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
  const watchdogMs =
    active && forUs && Number.isFinite(usec) && usec > 0 ? Math.floor(usec / 1000) : undefined;
  const socket = env.NOTIFY_SOCKET ?? '';
  const notify = (assignments: string[]) => (active ? send(assignments, socket) : Promise.resolve());
  return {
    active,
    watchdogMs,
    ready: (status) => notify(status === undefined ? ['READY=1'] : ['READY=1', `STATUS=${status}`]),
    status: (text) => notify([`STATUS=${text}`]),
    watchdog: () => notify(['WATCHDOG=1']),
    stopping: () => notify(['STOPPING=1']),
  };
}

/** Runs `systemd-notify --pid=<ours> …`; failures are swallowed (a missed notification is not fatal). */
export function sendWithSystemdNotify(assignments: string[], socket: string): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('systemd-notify', [`--pid=${process.pid}`, ...assignments], {
      stdio: 'ignore',
      env: { ...process.env, NOTIFY_SOCKET: socket },
    });
    child.once('error', () => resolve());
    child.once('exit', () => resolve());
  });
}
