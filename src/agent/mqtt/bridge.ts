/**
 * The daemon's side of the MQTT local API: keeps the broker's view in step with the agent's state.
 *
 * - `status` (retained): published whenever the status document changes (checked on every `refresh`:
 *   after each step's feedback, after each poll round, and every `everyMs`).
 * - `events`: `{type:"phase", actionId, phase}` on each phase change, `{type:"result", …lastResult}` when
 *   an action ends, `{type:"error", message}` when the backend's last error changes to a new one.
 * - `consent/request` (retained while pending): the pending request, cleared once answered or lapsed.
 * - `consent/response` and `command` go to the daemon's handlers (validated by local-api.ts first).
 *
 * The broker may be down when the daemon starts: connecting is retried in the background every
 * `retryMs` with a warning, and the daemon never waits for it.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import { oneLine } from '../../lib/errors.js';
import type { StatusJson } from '../status.js';
import type { ConsentRequest as PendingConsent } from '../steps/consent.js';
import type { MqttLocalApi, MqttLocalApiOptions } from './local-api.js';
import type { ConsentResponse, LocalCommand } from './messages.js';

export interface LocalApiBridgeOptions {
  url: string;
  topicPrefix: string;
  controllerId: string;
  log: Logger;
  clock: Clock;
  signal: AbortSignal;
  status: () => Promise<StatusJson>;
  pendingConsent: () => PendingConsent | undefined;
  onConsentResponse: (response: ConsentResponse) => void;
  onCommand: (command: LocalCommand) => void;
  everyMs?: number;
  retryMs?: number;
  connect?: (options: MqttLocalApiOptions) => Promise<MqttLocalApi>;
}

export interface LocalApiBridge {
  /** Publishes what changed since the last refresh (never throws). */
  refresh(): void;
  event(e: { type: string; [key: string]: unknown }): void;
  close(): Promise<void>;
}

export function startLocalApiBridge(options: LocalApiBridgeOptions): LocalApiBridge {
  const { clock, signal } = options;
  const log = options.log.child({ component: 'mqtt-bridge' });
  const stop = new AbortController();
  const both = AbortSignal.any([signal, stop.signal]);
  let api: MqttLocalApi | undefined;
  let last = { status: '', phase: 'idle', result: '', error: '', consent: '' };
  let primed = false;
  let running: Promise<void> | undefined;
  let again = false;

  const publishChanges = async (to: MqttLocalApi) => {
    const status = await options.status();
    const text = JSON.stringify(status);
    if (text !== last.status) {
      await to.publishStatus(status);
      last = { ...last, status: text };
    }
    const phase = status.update?.phase ?? 'idle';
    if (phase !== last.phase) {
      last = { ...last, phase };
      await to.publishEvent({ type: 'phase', actionId: status.update?.actionId ?? null, phase });
    }
    const result = status.lastResult === null ? '' : JSON.stringify(status.lastResult);
    // what was already there when the daemon started is state, not an event
    if (result !== last.result) {
      last = { ...last, result };
      if (primed && status.lastResult !== null)
        await to.publishEvent({ type: 'result', ...status.lastResult });
    }
    const error = status.backend.lastError ?? '';
    if (error !== last.error) {
      last = { ...last, error };
      if (primed && error !== '') await to.publishEvent({ type: 'error', message: error });
    }
    primed = true;
    const pending = options.pendingConsent();
    const consent = pending === undefined ? '' : JSON.stringify(pending);
    if (consent !== last.consent) {
      if (pending === undefined) await to.clearConsent();
      else
        await to.requestConsent({
          actionId: pending.actionId,
          recipe: pending.recipe ?? { id: '', name: '', version: '' },
          releaseNotes: pending.releaseNotes,
          licenses: pending.licenses,
          ...(pending.deadline === undefined ? {} : { deadline: pending.deadline }),
        });
      last = { ...last, consent };
    }
  };

  const refresh = () => {
    const to = api;
    if (to === undefined || both.aborted) return;
    if (running !== undefined) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await publishChanges(to);
        } while (again && !both.aborted);
      } catch (err) {
        log.warn({ err: oneLine(err) }, 'local API: publishing failed');
      } finally {
        running = undefined;
      }
    })();
  };

  const connecting = (async () => {
    // the MQTT client is loaded only by daemons configured with a broker
    const connect = options.connect ?? (await import('./local-api.js')).startMqttLocalApi;
    let warned = false;
    while (!both.aborted) {
      try {
        api = await connect({
          url: options.url,
          topicPrefix: options.topicPrefix,
          controllerId: options.controllerId,
          log: options.log, // local-api names itself `component: mqtt`
          clock,
          onConsentResponse: options.onConsentResponse,
          onCommand: options.onCommand,
        });
        if (both.aborted) await api.close();
        else log.info({ url: options.url }, 'local API connected to the MQTT broker');
        break;
      } catch (err) {
        if (!warned || log.isLevelEnabled('debug'))
          log.warn(
            { err: oneLine(err), url: options.url },
            'MQTT broker unreachable: the local API keeps trying',
          );
        warned = true;
        await clock.sleep(options.retryMs ?? 5_000, both).catch(() => {});
      }
    }
    while (!both.aborted) {
      refresh();
      await clock.sleep(options.everyMs ?? 1_000, both).catch(() => {});
    }
  })();

  return {
    refresh,
    event: (e) => {
      void api
        ?.publishEvent(e)
        .catch((err: unknown) => log.warn({ err: oneLine(err) }, 'local API event lost'));
    },
    async close() {
      stop.abort();
      await connecting;
      await running;
      await api?.close().catch(() => {});
    },
  };
}
