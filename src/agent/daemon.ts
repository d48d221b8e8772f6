/**
 * The daemon (`soup-agent run`): the agent's parts put together and driven round by round.
 *
 * Each round the poller sends the system report when it changed, polls the root, delivers the outbox,
 * takes a cancel and starts the offered action (poller.ts, cancel.ts, offer.ts); the update runner then
 * advances the action in progress (also when the server is unreachable: steps that need no network go
 * on) while the poller keeps watching for a cancel; then the daemon sleeps the server's polling interval
 * with jitter (back-off on errors) or until a command wakes it. Commands come from the control socket
 * and the MQTT local API through one dispatcher (commands.ts). The systemd watchdog is pinged while the
 * update loop is alive (watchdog.ts). A SIGTERM (the signal) stops it between or inside steps; the
 * state on disk is where the next start resumes.
 */
import type { Server } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.js';
import { oneLine, SoupError } from '../lib/errors.js';
import type { SdNotifier } from '../lib/sd-notify.js';
import { createLinkProvider } from '../protocols/buses/links.js';
import type { LinkProvider } from '../protocols/buses/types.js';
import { CancelHandler } from './cancel.js';
import { createDispatcher } from './commands.js';
import type { AgentConfig } from './config.js';
import { askDaemon, serveControl } from './control-socket.js';
import { phaseOf, type Step } from './machine.js';
import { type LocalApiBridge, startLocalApiBridge } from './mqtt/bridge.js';
import { jittered } from './net/polling.js';
import { createDelivery } from './outbox.js';
import { Poller } from './poller.js';
import { createAgentServices } from './services.js';
import { readStatus } from './status.js';
import { type ConsentRequest, PENDING_CONSENT } from './steps/consent.js';
import { StateStore } from './store.js';
import { Wakeup } from './wakeup.js';
import { stepTimeoutFor, Watchdog } from './watchdog.js';

export interface DaemonOptions {
  config: AgentConfig;
  log: Logger;
  clock: Clock;
  agentVersion: string;
  signal: AbortSignal;
  notifier?: SdNotifier;
  /** Per-step timeouts of the watchdog (watchdog.ts STEP_TIMEOUT_MS by default). */
  stepTimeoutMs?: Partial<Record<Step, number>>;
}

/** Links are opened lazily: a gateway without serial or CAN modules never needs them. */
function lazyLinks(log: Logger): LinkProvider & { closeAll(): Promise<void> } {
  let real: (LinkProvider & { closeAll(): Promise<void> }) | undefined;
  const get = () => {
    real ??= createLinkProvider();
    return real;
  };
  return {
    serial: (path, baud) => get().serial(path, baud),
    can: (bus, bitrate) => get().can(bus, bitrate),
    closeAll: async () => {
      try {
        await real?.closeAll();
      } catch (err) {
        log.warn({ err: oneLine(err) }, 'closing module links failed');
      }
    },
  };
}

/**
 * One daemon per dataDir: a second one would run the same update beside the first and take over its
 * control socket. A daemon that answers on the socket wins; nothing of the state is touched.
 */
async function refuseSecondInstance(dataDir: string): Promise<void> {
  const answer = await askDaemon(dataDir, { command: 'ping' }, 2000).catch(() => undefined);
  if (answer?.ok) {
    throw new SoupError(
      'SOUP_E_RUNNING',
      `another soup-agent (pid ${String(answer.pid)}) is running on dataDir ${dataDir}: stop it first`,
    );
  }
}

export async function runDaemon(options: DaemonOptions): Promise<void> {
  const { config, clock, signal } = options;
  const log = options.log.child({ component: 'daemon' });
  await refuseSecondInstance(config.dataDir);
  const store = StateStore.open(config.dataDir);
  const links = lazyLinks(log);
  let control: Server | undefined;
  try {
    // set once the local API is up; steps may report before that (recovery on start)
    let localApi: LocalApiBridge | undefined;
    const publish = (): void => localApi?.refresh();
    const services = createAgentServices({
      config,
      // components name themselves (`component: …`) from the root logger: a child of `log` would carry
      // `component` twice in every line
      log: options.log,
      clock,
      agentVersion: options.agentVersion,
      store,
      links,
      onFeedback: () => {
        void deliver();
        publish();
      },
    });
    const { api, runner, inventory, sendReport } = services;
    const deliver = createDelivery(store, api, log, signal);
    runner.recoverOnStart();

    const wakeup = new Wakeup(clock);
    const dispatch = createDispatcher({
      config,
      store,
      runner,
      clock,
      log,
      inventory,
      wake: () => wakeup.wake(),
      publish,
      signal,
    });
    control = await serveControl(config.dataDir, dispatch);
    if (config.mqtt !== undefined) localApi = startLocalApi(options, store, dispatch);

    const watchdogMs = options.notifier?.watchdogMs;
    const watchdog =
      options.notifier === undefined || watchdogMs === undefined
        ? Promise.resolve()
        : new Watchdog({
            notifier: options.notifier,
            intervalMs: watchdogMs,
            clock,
            log,
            stepInProgress: () => runner.stepInProgress,
            stepTimeoutMs: ({ step }) =>
              options.stepTimeoutMs?.[step] ??
              stepTimeoutFor(step, runner.current?.ctx.scripts.length ?? 0, config.update.scriptTimeoutMs),
          }).run(signal);

    const cancel = new CancelHandler({
      api,
      runner,
      store,
      clock,
      log,
      controllerId: config.server.controllerId,
      deliver,
    });
    const poller = new Poller({ config, api, store, clock, log, runner, sendReport, deliver, cancel });
    await options.notifier?.ready('polling');
    log.info({ server: config.server.url, controllerId: config.server.controllerId }, 'agent started');

    while (!signal.aborted) {
      let waitMs = await poller.poll(signal);
      if (signal.aborted) break;
      if (runner.current !== undefined) {
        const stopWatch = new AbortController();
        const watching = poller.watchWhileRunning(signal, stopWatch.signal, Math.max(waitMs, 1000));
        const progress = await runner.advance(signal);
        stopWatch.abort();
        await watching;
        await deliver();
        if (progress.finished) waitMs = 0;
        else if (progress.waitMs !== undefined) waitMs = Math.min(waitMs, progress.waitMs);
      }
      publish();
      const current = runner.current;
      await options.notifier?.status(
        current === undefined ? 'idle' : `action ${current.ctx.actionId}: ${phaseOf(current.state)}`,
      );
      if (waitMs > 0) await wakeup.sleep(jittered(waitMs, config.polling.jitter), signal);
    }

    await watchdog;
    await localApi?.close();
  } finally {
    await options.notifier?.stopping();
    control?.close();
    await links.closeAll();
    store.close();
    log.info('agent stopped');
  }
}

/**
 * The MQTT local API (optional, mqtt/bridge.ts): connects in the background and keeps retrying while
 * the broker is down; status, events and consent requests out; consent answers and commands in, carried
 * out by the same dispatcher as the control socket's.
 */
function startLocalApi(
  options: DaemonOptions,
  store: StateStore,
  dispatch: ReturnType<typeof createDispatcher>,
): LocalApiBridge | undefined {
  const { config } = options;
  if (config.mqtt === undefined) return undefined;
  const log = options.log.child({ component: 'daemon' });
  const bridge: LocalApiBridge = startLocalApiBridge({
    url: config.mqtt.url,
    topicPrefix: config.mqtt.topicPrefix,
    controllerId: config.server.controllerId,
    log: options.log,
    clock: options.clock,
    signal: options.signal,
    status: () => readStatus(config, options.agentVersion, { pid: process.pid, store }),
    pendingConsent: () => store.get<ConsentRequest>(PENDING_CONSENT),
    onConsentResponse: (r) => {
      void dispatch({ command: 'consent', decision: r.decision, actionId: r.actionId, by: r.by }).then(
        (a) => {
          if (!a.ok) {
            log.warn({ actionId: r.actionId, error: a.error }, 'consent answer over MQTT not taken');
            bridge.event({ type: 'error', topic: 'consent/response', message: a.error });
          }
          bridge.refresh();
        },
      );
    },
    onCommand: (c) => {
      void dispatch(c).then((a) => {
        if (c.command === 'install')
          bridge.event(
            a.ok
              ? { type: 'install', bundle: c.bundle, ok: true, actionId: String(a.actionId) }
              : { type: 'install', bundle: c.bundle, ok: false, error: a.error },
          );
      });
    },
  });
  return bridge;
}
