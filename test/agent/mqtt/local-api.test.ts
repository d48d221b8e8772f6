import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMqttLocalApi } from '../../../src/agent/mqtt/local-api.js';
import type { ConsentResponse, LocalCommand } from '../../../src/agent/mqtt/messages.js';
import { systemClock } from '../../../src/lib/clock.js';
import { silentLogger } from '../../../src/lib/log.js';
import { type Broker, startMosquitto } from '../../helpers/mosquitto.js';

/** Collects messages of a topic on a fresh client (as an app on the gateway would). */
async function watch(url: string, topic: string, protocolVersion: 4 | 5) {
  const client = await mqtt.connectAsync(url, { protocolVersion });
  const messages: { payload: string; retain: boolean }[] = [];
  client.on('message', (t, payload, packet) => {
    if (t === topic) messages.push({ payload: payload.toString(), retain: packet.retain });
  });
  await client.subscribeAsync(topic, { qos: 1 });
  return { client, messages };
}

async function until<T>(fn: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('MQTT local API against a real mosquitto broker', () => {
  let broker: Broker;
  const consents: ConsentResponse[] = [];
  const commands: LocalCommand[] = [];
  let api: Awaited<ReturnType<typeof startMqttLocalApi>>;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
    api = await startMqttLocalApi({
      url: broker.url,
      topicPrefix: 'soup',
      controllerId: 'gw-0001',
      log: silentLogger(),
      clock: systemClock,
      onConsentResponse: (r) => consents.push(r),
      onCommand: (c) => commands.push(c),
    });
  });

  afterAll(async () => {
    for (const c of clients) await c.endAsync();
    await api?.close();
    await broker?.stop();
  });

  it('publishes status retained, so an app that subscribes later (MQTT 3.1.1) still gets it', async () => {
    await api.publishStatus({ agent: { version: '1.0.0', running: true }, update: null });
    const w = await watch(broker.url, 'soup/gw-0001/status', 4);
    clients.push(w.client);
    const m = await until(() => w.messages[0], 'retained status');
    expect(m.retain).toBe(true);
    expect(JSON.parse(m.payload)).toEqual({ agent: { version: '1.0.0', running: true }, update: null });
  });

  it('offers a consent request retained while pending and clears it when answered (MQTT 5)', async () => {
    await api.requestConsent({
      actionId: '17',
      recipe: { id: '42', name: 'gw-fleet-A', version: '2.1.0' },
      releaseNotes: ['/var/lib/soup-agent/notes.md'],
      licenses: [],
    });
    const app = await watch(broker.url, 'soup/gw-0001/consent/request', 5);
    clients.push(app.client);
    const req = await until(() => app.messages[0], 'consent request');
    expect(JSON.parse(req.payload).actionId).toBe('17');

    await app.client.publishAsync(
      'soup/gw-0001/consent/response',
      JSON.stringify({ actionId: '17', decision: 'accept', by: 'installer' }),
      { qos: 1 },
    );
    expect(await until(() => consents[0], 'consent response')).toEqual({
      actionId: '17',
      decision: 'accept',
      by: 'installer',
    });

    await api.clearConsent();
    const late = await watch(broker.url, 'soup/gw-0001/consent/request', 5);
    clients.push(late.client);
    // a retained message reaches a new subscriber before anything published after it subscribed: once
    // a marker published now arrives, nothing retained was there
    const marker = await mqtt.connectAsync(broker.url);
    clients.push(marker);
    await marker.publishAsync('soup/gw-0001/consent/request', 'marker', { qos: 1 });
    await until(() => (late.messages.length > 0 ? true : undefined), 'the marker');
    expect(late.messages).toEqual([{ payload: 'marker', retain: false }]);
  });

  it('hands commands to the daemon and answers malformed messages with an error event only', async () => {
    const events = await watch(broker.url, 'soup/gw-0001/events', 5);
    clients.push(events.client);
    const app = await mqtt.connectAsync(broker.url);
    clients.push(app);
    await app.publishAsync('soup/gw-0001/command', JSON.stringify({ command: 'check' }), { qos: 1 });
    expect(await until(() => commands[0], 'check command')).toEqual({ command: 'check' });

    const before = { consents: consents.length, commands: commands.length };
    await app.publishAsync('soup/gw-0001/consent/response', '{"actionId":"17","decision":"maybe","by":"x"}', {
      qos: 1,
    });
    await app.publishAsync('soup/gw-0001/command', 'not json', { qos: 1 });
    await app.publishAsync('soup/gw-0001/command', JSON.stringify({ command: 'install' }), { qos: 1 });
    const errors = await until(
      () => (events.messages.length >= 3 ? events.messages.map((m) => JSON.parse(m.payload)) : undefined),
      'three error events',
    );
    expect(errors.map((e) => e.type)).toEqual(['error', 'error', 'error']);
    expect(errors[0].message).toMatch(/decision/);
    expect(errors[1].message).toMatch(/not JSON/);
    expect({ consents: consents.length, commands: commands.length }).toEqual(before);
  });
});
