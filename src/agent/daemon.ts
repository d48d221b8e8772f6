/**
 * The daemon (`soup-agent run`): inventory → report → poll → update loop.
 *
 * Each round: poll the root; send the system report when it changed or the server asks
 * (`systemReport` link); deliver the outbox; take a cancel request; start the action the server offers
 * (SOUP `systemUpdate`, else plain DDI `deploymentBase` / `confirmationBase`); advance the action in
 * progress (also when the server is unreachable: steps that need no network go on); sleep the
 * server's polling interval with jitter (exponential back-off on errors), or until `soup-agent check`
 * / `consent` wakes it. A SIGTERM (the signal) stops it between or inside steps; the state on disk is
 * where the next start resumes.
 */

import type { Server } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.js';
import { isSoupError, oneLine, SoupError } from '../lib/errors.js';
import type { SdNotifier } from '../lib/sd-notify.js';
import { createLinkProvider } from '../protocols/buses/links.js';
import type { LinkProvider } from '../protocols/buses/types.js';
import type { SystemReport } from '../recipe/types.js';
import type { AgentConfig } from './config.js';
import { askDaemon, type ControlAnswer, type ControlRequest, serveControl } from './control-socket.js';
import { createEngine } from './engine.js';
import { idOfLink, type Link } from './install-api.js';
import { phaseOf } from './machine.js';
import { type LocalApiBridge, startLocalApiBridge } from './mqtt/bridge.js';
import { Backoff, parsePollingSleep } from './net/polling.js';
import { bundleDir, unpackOffline } from './offline.js';
import { feedbackIdFor, flushOutbox } from './outbox.js';
import { readStatus } from './status.js';
import { type ConsentRequest, PENDING_CONSENT } from './steps/consent.js';
import { StateStore } from './store.js';

export interface DaemonOptions {
  config: AgentConfig;
  log: Logger;
  clock: Clock;
  agentVersion: string;
  signal: AbortSignal;
  notifier?: SdNotifier;
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

/** Sleeps until `ms` passed, `wake()` is called, or the signal aborts (never throws). */
class Wakeup {
  private controller = new AbortController();

  constructor(private readonly clock: Clock) {}

  wake(): void {
    this.controller.abort();
  }

  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    // a wake that came while we were busy counts: go round at once
    if (this.controller.signal.aborted) {
      this.controller = new AbortController();
      return;
    }
    try {
      await this.clock.sleep(ms, AbortSignal.any([signal, this.controller.signal]));
    } catch {
      // woken or stopping
    }
    if (this.controller.signal.aborted) this.controller = new AbortController();
  }
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
    let publishLocal = async (): Promise<void> => {};
    const engine = createEngine({
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
        void publishLocal();
      },
    });
    const { api, runner, inventory, sendReport } = engine;
    // one delivery at a time, in order; a request while one runs makes it run once more
    let delivering: Promise<void> | undefined;
    let again = false;
    const deliver = (): Promise<void> => {
      if (delivering !== undefined) {
        again = true;
        return delivering;
      }
      delivering = (async () => {
        try {
          do {
            again = false;
            await flushOutbox(store, api, log, signal);
          } while (again && !signal.aborted);
        } catch (err) {
          log.warn({ err: oneLine(err) }, 'feedback delivery failed');
        } finally {
          delivering = undefined;
        }
      })();
      return delivering;
    };
    runner.recoverOnStart();

    const wakeup = new Wakeup(clock);
    const handledCancels = new Set<string>();
    /** Answers the pending consent request (`soup-agent consent`, the MQTT local API). */
    const answerConsent = (
      decision: 'accept' | 'deny',
      actionId: string | undefined,
      by: string,
    ): ControlAnswer => {
      const pending = store.get<ConsentRequest>(PENDING_CONSENT);
      if (pending === undefined) return { ok: false, error: 'no consent request is pending' };
      if (actionId !== undefined && actionId !== pending.actionId) {
        return {
          ok: false,
          error: `no consent request is pending for action ${actionId} (pending: ${pending.actionId})`,
        };
      }
      store.saveConsent({ actionId: pending.actionId, decision, by, at: clock.now() });
      wakeup.wake();
      return { ok: true, actionId: pending.actionId };
    };
    const inProgress = () => runner.current;
    /** `install BUNDLE` (control socket, MQTT `command`): checked and started here, run by the loop. */
    const installBundle = async (bundle: string, allowDowngrade = false): Promise<ControlAnswer> => {
      if (runner.current !== undefined) {
        return {
          ok: false,
          error: `action ${runner.current.ctx.actionId} is in progress: try again when it has ended`,
        };
      }
      try {
        const manifest = await unpackOffline(config, bundle, {
          installed: store.get('installedRecipe'),
          allowDowngrade,
        });
        if (store.isFinished(manifest.actionId))
          return { ok: false, error: `action ${manifest.actionId} was already installed here` };
        // an action may have started while the bundle was checked
        const started = inProgress();
        if (started !== undefined)
          return {
            ok: false,
            error: `action ${started.ctx.actionId} is in progress: try again when it has ended`,
          };
        runner.startOffline(manifest.actionId, bundleDir(config, manifest.actionId), manifest.recipe);
        wakeup.wake();
        void publishLocal();
        return { ok: true, actionId: manifest.actionId };
      } catch (err) {
        log.warn({ bundle, err: oneLine(err) }, 'bundle refused');
        return { ok: false, error: oneLine(err) };
      }
    };
    control = await serveControl(config.dataDir, async (request: ControlRequest): Promise<ControlAnswer> => {
      switch (request.command) {
        case 'ping':
          return { ok: true, pid: process.pid };
        case 'check':
          wakeup.wake();
          return { ok: true };
        case 'consent':
          return answerConsent(request.decision, request.actionId, request.by);
        case 'report': {
          // while an update streams to modules, probing them would interleave with the transfer: the
          // report taken for the update (at matching) stands for the system until it ends
          const last = store.get<SystemReport>('report.last');
          if (runner.current !== undefined && last !== undefined)
            return { ok: true, report: last, cached: true };
          return { ok: true, report: await inventory(signal) };
        }
        case 'install':
          return installBundle(request.bundle, request.allowDowngrade === true);
        default: {
          const never: never = request;
          return never;
        }
      }
    });

    // the MQTT local API (optional, mqtt/bridge.ts): connects in the background and keeps retrying while
    // the broker is down; status, events and consent requests out; answers and commands in
    let localApi: LocalApiBridge | undefined;
    if (config.mqtt !== undefined) {
      localApi = startLocalApiBridge({
        url: config.mqtt.url,
        topicPrefix: config.mqtt.topicPrefix,
        controllerId: config.server.controllerId,
        log: options.log,
        clock,
        signal,
        status: () => readStatus(config, options.agentVersion, { pid: process.pid, store }),
        pendingConsent: () => store.get<ConsentRequest>(PENDING_CONSENT),
        onConsentResponse: (r) => {
          const answer = answerConsent(r.decision, r.actionId, r.by);
          if (!answer.ok) {
            log.warn({ actionId: r.actionId, error: answer.error }, 'consent answer over MQTT not taken');
            localApi?.event({ type: 'error', topic: 'consent/response', message: answer.error });
          }
          localApi?.refresh();
        },
        onCommand: (c) => {
          switch (c.command) {
            case 'check':
              wakeup.wake();
              return;
            case 'install':
              void installBundle(c.bundle).then((a) =>
                localApi?.event(
                  a.ok
                    ? { type: 'install', bundle: c.bundle, ok: true, actionId: a.actionId }
                    : { type: 'install', bundle: c.bundle, ok: false, error: a.error },
                ),
              );
              return;
            default: {
              const never: never = c;
              return never;
            }
          }
        },
      });
      publishLocal = async () => localApi?.refresh();
    }
    // systemd watchdog: pinged on its own schedule, so a long step never looks like a hang
    const watchdogMs = options.notifier?.watchdogMs;
    const watchdog =
      watchdogMs === undefined
        ? Promise.resolve()
        : (async () => {
            while (!signal.aborted) {
              try {
                await clock.sleep(Math.max(500, Math.floor(watchdogMs / 2)), signal);
              } catch {
                return;
              }
              await options.notifier?.watchdog();
            }
          })();

    const backoff = new Backoff({
      baseMs: config.polling.errorBaseMs,
      capMs: config.polling.errorCapMs,
      jitter: config.polling.jitter,
    });
    await options.notifier?.ready('polling');
    log.info({ server: config.server.url, controllerId: config.server.controllerId }, 'agent started');

    while (!signal.aborted) {
      let waitMs = config.polling.defaultSleepMs;
      let polled = false;
      try {
        const root = await api.rootPoll(signal);
        polled = true;
        store.atomically(() => {
          store.set('backend.lastPollAt', new Date(clock.now()).toISOString());
          store.set('backend.lastPollOk', true);
          store.set('backend.lastError', null);
        });
        const sleep = root.config?.polling?.sleep;
        waitMs = Math.min(
          sleep === undefined ? config.polling.defaultSleepMs : parsePollingSleep(sleep),
          config.polling.maxSleepMs,
        );
        const rootLinks = root._links ?? {};
        await sendReport(signal, rootLinks.systemReport !== undefined);
        await deliver();
        if (rootLinks.cancelAction !== undefined) await handleCancel(rootLinks.cancelAction);
        if (runner.current === undefined) startOffered(rootLinks);
        backoff.reset();
      } catch (err) {
        if (signal.aborted) break;
        const retryAfter = isSoupError(err) ? (err.detail?.retryAfterMs as number | undefined) : undefined;
        waitMs = retryAfter ?? backoff.next();
        store.atomically(() => {
          if (!polled) store.set('backend.lastPollOk', false);
          store.set('backend.lastError', oneLine(err));
        });
        log.warn({ err: oneLine(err), retryInMs: waitMs }, 'poll failed');
      }
      if (runner.current !== undefined) {
        const stopWatch = new AbortController();
        const watching = watchWhileRunning(stopWatch.signal, Math.max(waitMs, 1000));
        const progress = await runner.advance(signal);
        stopWatch.abort();
        await watching;
        try {
          await deliver();
        } catch (err) {
          log.warn({ err: oneLine(err) }, 'feedback delivery failed');
        }
        if (progress.finished) waitMs = 0;
        else if (progress.waitMs !== undefined) waitMs = Math.min(waitMs, progress.waitMs);
      }
      await publishLocal();
      await options.notifier?.status(
        runner.current === undefined
          ? 'idle'
          : `action ${runner.current.ctx.actionId}: ${phaseOf(runner.current.state)}`,
      );
      if (waitMs > 0) await wakeup.sleep(jittered(waitMs, config.polling.jitter), signal);
    }

    await watchdog;
    await localApi?.close();

    async function handleCancel(link: Link): Promise<void> {
      const cancel = await api.cancelAction(link.href, signal);
      const stopId = String(cancel.cancelAction?.stopId ?? idOfLink(link));
      const current = runner.current;
      if (current !== undefined && current.ctx.actionId === stopId) {
        if (handledCancels.has(link.href)) return;
        handledCancels.add(link.href);
        const answer = runner.requestCancel(link.href);
        log.info({ actionId: stopId, answer }, 'cancel requested by the server');
        if (answer === 'refused') {
          runner.refuseCancelNow(link.href);
          await deliver();
        }
        return;
      }
      // nothing of ours runs for it: the cancel succeeded trivially
      const id = feedbackIdFor(config.server.controllerId, stopId, 'cancel-closed');
      store.enqueue({
        feedbackId: id,
        actionId: stopId,
        url: `${link.href.split('?')[0]}/feedback`,
        body: JSON.stringify({
          timestamp: clock.now(),
          status: { execution: 'closed', result: { finished: 'success' }, details: ['nothing was running'] },
        }),
        createdAt: clock.now(),
      });
      await deliver();
    }

    /** While a step runs, keeps polling so a cancel request is seen (and the server sees us alive). */
    async function watchWhileRunning(stop: AbortSignal, everyMs: number): Promise<void> {
      const both = AbortSignal.any([signal, stop]);
      while (!both.aborted) {
        try {
          await clock.sleep(everyMs, both);
        } catch {
          return;
        }
        try {
          const root = await api.rootPoll(both);
          store.set('backend.lastPollAt', new Date(clock.now()).toISOString());
          store.set('backend.lastPollOk', true);
          const cancelLink = root._links?.cancelAction;
          if (cancelLink !== undefined) await handleCancel(cancelLink);
          await deliver();
        } catch (err) {
          if (!both.aborted) log.debug({ err: oneLine(err) }, 'poll during a step failed');
        }
      }
    }

    function startOffered(rootLinks: Record<string, Link | undefined>): void {
      const system = rootLinks.systemUpdate;
      if (system !== undefined) {
        const id = idOfLink(system);
        if (!store.isFinished(id)) {
          runner.start('system', id, system.href, api.url(`systemUpdate/${encodeURIComponent(id)}/feedback`));
          return;
        }
      }
      const deployment = rootLinks.deploymentBase;
      if (deployment !== undefined) {
        const id = idOfLink(deployment);
        if (!store.isFinished(id))
          runner.start(
            'ddi',
            id,
            deployment.href,
            api.url(`deploymentBase/${encodeURIComponent(id)}/feedback`),
          );
        return;
      }
      const confirmation = rootLinks.confirmationBase;
      if (confirmation !== undefined) {
        const id = idOfLink(confirmation);
        if (!store.isFinished(id) && /\/confirmationBase\/[^/?]+/.test(confirmation.href)) {
          runner.start(
            'ddi',
            id,
            confirmation.href,
            api.url(`deploymentBase/${encodeURIComponent(id)}/feedback`),
            confirmation.href,
          );
        }
      }
    }
  } finally {
    await options.notifier?.stopping();
    control?.close();
    await links.closeAll();
    store.close();
    log.info('agent stopped');
  }
}

function jittered(ms: number, jitter: number): number {
  return Math.max(0, Math.round(ms * (1 - jitter + Math.random() * 2 * jitter)));
}
