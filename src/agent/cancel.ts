/**
 * Cancel handling: the server's `cancelAction` link. For the action in progress the update runner takes
 * the cancel where the machine allows it (before the point of no return) and refuses it after; a cancel
 * for an action that does not run here succeeded trivially and is closed at once. Each cancel link is
 * answered once per start of the agent.
 */
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.js';
import { type InstallApi, idOfLink, type Link } from './install-api.js';
import { feedbackIdFor } from './outbox.js';
import type { StateStore } from './store.js';
import type { UpdateRunner } from './update-runner.js';

export interface CancelDeps {
  api: Pick<InstallApi, 'cancelAction'>;
  runner: Pick<UpdateRunner, 'current' | 'requestCancel' | 'refuseCancelNow'>;
  store: Pick<StateStore, 'enqueue'>;
  clock: Clock;
  log: Logger;
  controllerId: string;
  /** Delivers the outbox now. */
  deliver: () => Promise<void>;
}

export class CancelHandler {
  private readonly handled = new Set<string>();

  constructor(private readonly deps: CancelDeps) {}

  async handle(link: Link, signal: AbortSignal): Promise<void> {
    const { api, runner, store, clock, log } = this.deps;
    const cancel = await api.cancelAction(link.href, signal);
    const stopId = String(cancel.cancelAction?.stopId ?? idOfLink(link));
    const current = runner.current;
    if (current !== undefined && current.ctx.actionId === stopId) {
      if (this.handled.has(link.href)) return;
      this.handled.add(link.href);
      const answer = runner.requestCancel(link.href);
      log.info({ actionId: stopId, answer }, 'cancel requested by the server');
      if (answer === 'refused') {
        runner.refuseCancelNow(link.href);
        await this.deps.deliver();
      }
      return;
    }
    // nothing of ours runs for it: the cancel succeeded trivially
    const id = feedbackIdFor(this.deps.controllerId, stopId, 'cancel-closed');
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
    await this.deps.deliver();
  }
}
