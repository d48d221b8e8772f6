/**
 * The MQTT local API client of the daemon: publishes status, events and consent requests, and hands
 * validated consent responses and commands to the daemon. A malformed message is logged and answered
 * with an `error` event; it never reaches the daemon and never stops the client. The broker may come and
 * go: mqtt.js reconnects, and retained status/consent messages are re-published on every connect.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import { SoupError } from '../../lib/errors.js';
import {
  type ConsentRequest,
  type ConsentResponse,
  type LocalCommand,
  parseCommand,
  parseConsentResponse,
} from './messages.js';
import { localApiTopics } from './topics.js';

export interface MqttLocalApiOptions {
  url: string;
  topicPrefix: string;
  controllerId: string;
  log: Logger;
  clock: Clock;
  onConsentResponse(response: ConsentResponse): void;
  onCommand(command: LocalCommand): void;
  /** ms before the first connection must be up (default 10 s). */
  connectTimeoutMs?: number;
}

export interface MqttLocalApi {
  publishStatus(status: unknown): Promise<void>;
  publishEvent(event: { type: string; [key: string]: unknown }): Promise<void>;
  requestConsent(request: ConsentRequest): Promise<void>;
  /** Clears the retained consent request (answered, lapsed or cancelled). */
  clearConsent(): Promise<void>;
  close(): Promise<void>;
}

export async function startMqttLocalApi(options: MqttLocalApiOptions): Promise<MqttLocalApi> {
  const topics = localApiTopics(options.topicPrefix, options.controllerId);
  const log = options.log.child({ component: 'mqtt' });
  const retained = new Map<string, string>();
  let client: MqttClient;
  try {
    client = await mqtt.connectAsync(options.url, {
      clientId: `soup-agent-${options.controllerId}`,
      reconnectPeriod: 2_000,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      clean: true,
    });
  } catch (err) {
    throw new SoupError('SOUP_E_MQTT', `mqtt: cannot connect to ${options.url}: ${(err as Error).message}`, {
      retryable: true,
      cause: err,
    });
  }

  const publish = (topic: string, payload: string, retain: boolean) =>
    client.publishAsync(topic, payload, { qos: 1, retain }).then(() => undefined);

  // while the broker is away nothing is queued: retained documents are re-published on reconnect
  const event = async (e: { type: string; [key: string]: unknown }) => {
    if (!client.connected) return;
    await publish(
      topics.events,
      JSON.stringify({ ...e, at: new Date(options.clock.now()).toISOString() }),
      false,
    );
  };

  client.on('message', (topic, payload) => {
    const parsed = topic === topics.consentResponse ? parseConsentResponse(payload) : parseCommand(payload);
    if (!parsed.ok) {
      log.warn({ topic, error: parsed.error }, 'ignored a malformed local API message');
      void event({ type: 'error', topic, message: parsed.error }).catch(() => {});
      return;
    }
    if (topic === topics.consentResponse) options.onConsentResponse(parsed.value as ConsentResponse);
    else options.onCommand(parsed.value as LocalCommand);
  });
  client.on('connect', () => {
    // after a reconnect, the retained documents may be gone (broker restarted without persistence)
    for (const [topic, payload] of retained) void publish(topic, payload, true).catch(() => {});
  });
  client.on('error', (err) => log.warn({ err }, 'mqtt client error'));
  await client.subscribeAsync([topics.consentResponse, topics.command], { qos: 1 });
  log.info({ url: options.url, topics }, 'local API on MQTT');

  const retain = async (topic: string, payload: string) => {
    if (payload === '') retained.delete(topic);
    else retained.set(topic, payload);
    if (client.connected) await publish(topic, payload, true);
  };

  return {
    publishStatus: (status) => retain(topics.status, JSON.stringify(status)),
    publishEvent: event,
    requestConsent: (request) => retain(topics.consentRequest, JSON.stringify(request)),
    // an empty retained message deletes the retained request on the broker
    clearConsent: () => retain(topics.consentRequest, ''),
    close: () => client.endAsync(),
  };
}
