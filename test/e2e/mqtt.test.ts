/**
 * The MQTT local API wired into `soup-agent run`, end to end: server-lite and the agent as processes, a
 * real mosquitto on 127.0.0.1. The retained status appears for a late subscriber; an action with
 * `handling.update: attempt` (tenant config `soup.action.handling`) puts a retained consent request on
 * the broker; malformed messages change nothing; an MQTT `accept` lets the update proceed and clears the
 * request; a `deny` ends the next action `rejected`. With the broker gone the daemon keeps running.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { CID, E2e, image, sha256 } from './harness.js';

interface Msg {
  topic: string;
  payload: string;
  retain: boolean;
}

async function subscriber(url: string, topic: string): Promise<{ client: MqttClient; messages: Msg[] }> {
  const client = await mqtt.connectAsync(url);
  const messages: Msg[] = [];
  client.on('message', (t, payload, packet) =>
    messages.push({ topic: t, payload: payload.toString(), retain: packet.retain }),
  );
  await client.subscribeAsync(topic, { qos: 1 });
  return { client, messages };
}

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('e2e MQTT local API: run with mqtt configured, a real mosquitto', () => {
  const e = new E2e();
  let broker: Broker;
  let config: string;
  const clients: MqttClient[] = [];
  const base = `soup/${CID}`;
  const v2 = image('2.0.0');

  beforeAll(async () => {
    broker = await startMosquitto();
    await e.start();
    await e.mgmt.put('tenant/configs/soup.action.handling', {
      value: { download: 'forced', update: 'attempt' },
    });
    const plain = e.agentConfig();
    const value = JSON.parse(readFileSync(plain, 'utf8')) as Record<string, unknown>;
    value.mqtt = { url: broker.url, topicPrefix: 'soup' };
    config = join(e.dir, 'agent', 'config-mqtt.json');
    writeFileSync(config, JSON.stringify(value));
    e.startAgent(config);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) await c.endAsync();
    await e.stop();
    await broker?.stop();
  });

  it('publishes the status document retained', async () => {
    // once the agent published it, a client that subscribes later still gets it, flagged retained
    const early = await subscriber(broker.url, `${base}/status`);
    clients.push(early.client);
    await until('a status document', () => early.messages[0], 40_000);
    const late = await subscriber(broker.url, `${base}/status`);
    clients.push(late.client);
    const m = await until('retained status', () => late.messages.find((x) => x.retain), 10_000);
    const status = JSON.parse(m.payload) as {
      backend: { controllerId: string };
      agent: { running: boolean };
    };
    expect(status.backend.controllerId).toBe(CID);
    expect(status.agent.running).toBe(true);
  }, 60_000);

  it('consent over MQTT: request retained, malformed answers ignored, accept proceeds, deny rejects', async () => {
    const all = await subscriber(broker.url, `${base}/#`);
    clients.push(all.client);
    const notes = await e.imageSet(
      'notes',
      '2.0.0',
      Buffer.from('# 2.0.0\nbrakes feel better\n'),
      'releasenotes',
      'system',
    );
    await e.release({ version: '2.0.0', image: v2, scriptSet: notes });
    const request = await until('a consent request', () =>
      all.messages.find((m) => m.topic === `${base}/consent/request` && m.payload !== ''),
    );
    const asked = JSON.parse(request.payload) as {
      actionId: string;
      recipe: { version: string };
      releaseNotes: string[];
      licenses: string[];
    };
    expect(asked.recipe.version).toBe('2.0.0');
    // the release notes are downloaded first and offered by path
    expect(asked.releaseNotes).toHaveLength(1);
    expect(readFileSync(asked.releaseNotes[0] as string, 'utf8')).toBe('# 2.0.0\nbrakes feel better\n');
    expect(asked.licenses).toEqual([]);
    const action = (await e.actions()).find((a) => String(a.id) === asked.actionId);
    expect(action?.status).toBe('open');

    // malformed: not JSON, a wrong decision, a command that does not exist
    const errorsBefore = all.messages.filter(
      (m) => m.topic === `${base}/events` && m.payload.includes('"error"'),
    ).length;
    await all.client.publishAsync(`${base}/consent/response`, 'yes please', { qos: 1 });
    await all.client.publishAsync(
      `${base}/consent/response`,
      JSON.stringify({ actionId: asked.actionId, decision: 'maybe', by: 'mqtt-test' }),
      { qos: 1 },
    );
    await all.client.publishAsync(`${base}/command`, JSON.stringify({ command: 'reboot' }), { qos: 1 });
    await until('three error events', () =>
      all.messages.filter((m) => m.topic === `${base}/events` && m.payload.includes('"error"')).length >=
      errorsBefore + 3
        ? true
        : undefined,
    );
    // two polls later the malformed answers have still not been taken for a decision
    await e.waitForPolls(2);
    expect(e.status(config)).toMatchObject({
      pendingConsent: { actionId: asked.actionId },
      update: { actionId: asked.actionId, phase: 'waiting-consent' },
    });
    expect(e.installed().toString()).toBe('factory image');

    // accept
    await all.client.publishAsync(
      `${base}/consent/response`,
      JSON.stringify({ actionId: asked.actionId, decision: 'accept', by: 'mqtt-test' }),
      { qos: 1 },
    );
    const done = await e.waitForAction((a) => String(a.id) === asked.actionId && a.status !== 'open');
    expect(done).toMatchObject({ status: 'finished', result: 'success' });
    expect(sha256(e.installed())).toBe(sha256(v2));
    await until('the consent request cleared', () =>
      all.messages.some((m) => m.topic === `${base}/consent/request` && m.payload === '') ? true : undefined,
    );
    const phases = all.messages
      .filter((m) => m.topic === `${base}/events`)
      .map((m) => JSON.parse(m.payload) as { type: string; phase?: string })
      .filter((ev) => ev.type === 'phase')
      .map((ev) => ev.phase);
    expect(phases).toContain('waiting-consent');
    await until('a result event', () =>
      all.messages.some((m) => m.topic === `${base}/events` && m.payload.includes('"type":"result"'))
        ? true
        : undefined,
    );

    // deny the next one
    const seen = all.messages.length;
    await e.release({ version: '3.0.0', image: image('3.0.0') });
    const next = await until('a second consent request', () =>
      all.messages
        .slice(seen)
        .find(
          (m) =>
            m.topic === `${base}/consent/request` &&
            m.payload !== '' &&
            !m.payload.includes(`"actionId":"${asked.actionId}"`),
        ),
    );
    const second = JSON.parse(next.payload) as { actionId: string };
    await all.client.publishAsync(
      `${base}/consent/response`,
      JSON.stringify({ actionId: second.actionId, decision: 'deny', by: 'mqtt-test' }),
      { qos: 1 },
    );
    const denied = await e.waitForAction((a) => String(a.id) === second.actionId && a.status !== 'open');
    expect(denied.result).toBe('failure');
    expect(denied.feedback.at(-1)?.status).toMatchObject({
      execution: 'rejected',
      details: ['consent denied by mqtt-test'],
    });
    expect(sha256(e.installed())).toBe(sha256(v2));
  }, 150_000);

  it('an install command with a bundle that is not there is answered with an install event, nothing started', async () => {
    const all = await subscriber(broker.url, `${base}/events`);
    clients.push(all.client);
    const missing = join(e.dir, 'no-such-bundle.tar');
    await all.client.publishAsync(
      `${base}/command`,
      JSON.stringify({ command: 'install', bundle: missing }),
      {
        qos: 1,
      },
    );
    const m = await until(
      'an install event',
      () => all.messages.find((x) => x.payload.includes('"type":"install"')),
      20_000,
    );
    expect(JSON.parse(m.payload)).toMatchObject({ type: 'install', ok: false, bundle: missing });
    expect(m.payload).toMatch(/cannot read .*no-such-bundle\.tar \(ENOENT\)/);
    expect(e.status(config)).toMatchObject({ update: null });
  }, 30_000);

  it('keeps running when the broker goes away', async () => {
    await broker.stop();
    // the agent's loop goes on polling without its broker (two polls: past mqtt's 1 s reconnect attempt)
    await e.waitForPolls(2);
    expect(e.agent?.child.exitCode).toBeNull();
    expect(e.status(config)).toMatchObject({ agent: { running: true } });
  }, 30_000);
});
