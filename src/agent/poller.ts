/**
 * The poller: one round of talking to the backend. The system report goes first when it differs from
 * the last one sent (at start, after an update), so the backend matches the gateway before it answers
 * the root poll that follows; what the root offers is acted on: a forced report (`systemReport` link), the outbox, a cancel,
 * and the offered action when none runs. While a step runs, `watchWhileRunning` keeps polling so a
 * cancel is seen and the server sees the gateway alive.
 */
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.js';
import { isSoupError, oneLine } from '../lib/errors.js';
import type { CancelHandler } from './cancel.js';
import type { AgentConfig } from './config.js';
import type { InstallApi } from './install-api.js';
import { Backoff, parsePollingSleep } from './net/polling.js';
import { chooseOffer } from './offer.js';
import type { StateStore } from './store.js';
import type { UpdateRunner } from './update-runner.js';

export interface PollerDeps {
  config: AgentConfig;
  api: Pick<InstallApi, 'rootPoll' | 'url'>;
  store: StateStore;
  clock: Clock;
  log: Logger;
  runner: Pick<UpdateRunner, 'current' | 'start'>;
  /** Sends the system report when it changed, or always when forced. */
  sendReport: (signal: AbortSignal, force?: boolean) => Promise<void>;
  /** Delivers the outbox. */
  deliver: () => Promise<void>;
  cancel: Pick<CancelHandler, 'handle'>;
}

export class Poller {
  private readonly backoff: Backoff;

  constructor(private readonly deps: PollerDeps) {
    const { polling } = deps.config;
    this.backoff = new Backoff({
      baseMs: polling.errorBaseMs,
      capMs: polling.errorCapMs,
      jitter: polling.jitter,
    });
  }

  /** One round; resolves to how long to wait before the next (the server's interval, or back-off). */
  async poll(signal: AbortSignal): Promise<number> {
    const { config, api, store, clock, log, runner } = this.deps;
    let polled = false;
    try {
      // a report the backend refuses must not keep the gateway from polling: it is tried again after
      let reportFailed = false;
      await this.deps.sendReport(signal).catch((err: unknown) => {
        if (signal.aborted) throw err;
        reportFailed = true;
        log.debug({ err: oneLine(err) }, 'system report before the poll failed');
      });
      const root = await api.rootPoll(signal);
      polled = true;
      store.atomically(() => {
        store.set('backend.lastPollAt', new Date(clock.now()).toISOString());
        store.set('backend.lastPollOk', true);
        store.set('backend.lastError', null);
      });
      const sleep = root.config?.polling?.sleep;
      const waitMs = Math.min(
        sleep === undefined ? config.polling.defaultSleepMs : parsePollingSleep(sleep),
        config.polling.maxSleepMs,
      );
      const links = root._links ?? {};
      if (links.systemReport !== undefined || reportFailed)
        await this.deps.sendReport(signal, links.systemReport !== undefined);
      await this.deps.deliver();
      if (links.cancelAction !== undefined) await this.deps.cancel.handle(links.cancelAction, signal);
      if (runner.current === undefined) {
        const offer = chooseOffer(links, {
          isFinished: (id) => store.isFinished(id),
          url: (p) => api.url(p),
        });
        if (offer !== undefined)
          runner.start(offer.kind, offer.actionId, offer.href, offer.feedbackUrl, offer.confirmationHref);
      }
      this.backoff.reset();
      return waitMs;
    } catch (err) {
      if (signal.aborted) return 0;
      const retryAfter = isSoupError(err) ? (err.detail?.retryAfterMs as number | undefined) : undefined;
      const waitMs = retryAfter ?? this.backoff.next();
      store.atomically(() => {
        if (!polled) store.set('backend.lastPollOk', false);
        store.set('backend.lastError', oneLine(err));
      });
      log.warn({ err: oneLine(err), retryInMs: waitMs }, 'poll failed');
      return waitMs;
    }
  }

  /** Polls every `everyMs` until `stop` (or the agent's signal) aborts: cancels and the outbox only. */
  async watchWhileRunning(signal: AbortSignal, stop: AbortSignal, everyMs: number): Promise<void> {
    const { api, store, clock, log } = this.deps;
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
        if (cancelLink !== undefined) await this.deps.cancel.handle(cancelLink, both);
        await this.deps.deliver();
      } catch (err) {
        if (!both.aborted) log.debug({ err: oneLine(err) }, 'poll during a step failed');
      }
    }
  }
}
