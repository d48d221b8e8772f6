/**
 * The daemon loop in-process against the fake Install API: report on first contact, poll, start the
 * offered action, `check` and `consent` through the control socket, status from the state file.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/agent/config.js';
import { askDaemon } from '../../src/agent/control-socket.js';
import { runDaemon } from '../../src/agent/daemon.js';
import { readStatus } from '../../src/agent/status.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { generateSigningKey, signDetached } from '../../src/recipe/jws.js';
import { type FakeBackend, recipeFile, startFakeBackend } from './fake-backend.js';

let backend: FakeBackend | undefined;
const stops: (() => Promise<void>)[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  await backend?.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until(what: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A fake Install API (polling every hour) and the configuration of a gateway with one rawfile module
 * at 1.0.0, consent always asked, trusting a fresh signing key.
 */
/** Offers action 17: recipe fleet-A 2.1.0, a gateway image of `size` random bytes, signed with `key`. */
async function offerGatewayImage(
  b: FakeBackend,
  key: { privateJwk: Parameters<typeof signDetached>[1] },
  size: number,
): Promise<Buffer> {
  const bytes = randomBytes(size);
  const file = Buffer.from(
    JSON.stringify(
      recipeFile([
        {
          module: 'gateway',
          match: { 'module-id': 'gw' },
          type: 'rawfile',
          version: '2.0.0',
          bytes,
          artifactId: '903',
        },
      ]),
    ),
  );
  b.action = {
    id: '17',
    recipe: { id: '42', name: 'fleet-A', version: '2.1.0' },
    file,
    signatures: [await signDetached(file, key.privateJwk)],
    artifacts: new Map([['903', bytes]]),
  };
  return bytes;
}

async function gateway(prefix: string, extra: Record<string, unknown> = {}) {
  backend = await startFakeBackend();
  const b = backend;
  b.sleep = '01:00:00';
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  const target = join(dir, 'slot.img');
  writeFileSync(target, 'old');
  const key = await generateSigningKey('k');
  writeFileSync(join(dir, 'trust.json'), JSON.stringify(key.publicJwks));
  const config = buildConfig({
    server: { url: b.url, tenant: 'T', controllerId: 'gw', auth: { targetToken: 'tok' } },
    dataDir: join(dir, 'data'),
    trust: { keys: join(dir, 'trust.json') },
    modules: {
      local: [
        {
          name: 'gateway',
          gateway: true,
          handler: 'rawfile',
          target,
          attributes: { 'module-id': 'gw', swVersion: '1.0.0' },
        },
      ],
    },
    consent: 'always',
    polling: { defaultSleepMs: 3_600_000 },
    ...extra,
  });
  return { b, target, key, config };
}

describe('daemon', () => {
  it('reports, waits for a poll, runs the update after `check`, asks and takes consent over the socket', async () => {
    const { b, target, key, config } = await gateway('soup-daemon-');
    const stop = new AbortController();
    const running = runDaemon({
      config,
      log: process.env.TEST_LOG
        ? (await import('../../src/lib/log.js')).createLogger({ level: 'debug' })
        : silentLogger(),
      clock: systemClock,
      agentVersion: '1.0.0',
      signal: stop.signal,
    });
    stops.push(async () => {
      stop.abort();
      await running;
    });
    await until('first report', () => b.reports.length === 1);
    expect(b.reports[0]?.modules[0]).toMatchObject({
      id: 'gw',
      type: 'gateway',
      attributes: { swVersion: '1.0.0', agentVersion: '1.0.0' },
    });

    const bytes = await offerGatewayImage(b, key, 10_000);
    expect(await askDaemon(config.dataDir, { command: 'check' })).toEqual({ ok: true });
    await until('consent request', () => b.feedback.some((f) => f.phase === 'waiting-consent'));
    const status = await readStatus(config, '1.0.0');
    expect(status.agent.running).toBe(true);
    expect(status.update).toMatchObject({ actionId: '17', phase: 'waiting-consent' });
    expect(status.pendingConsent).toEqual({ actionId: '17' });
    expect(
      await askDaemon(config.dataDir, { command: 'consent', decision: 'accept', actionId: '99', by: 'x' }),
    ).toMatchObject({ ok: false });
    expect(await askDaemon(config.dataDir, { command: 'consent', decision: 'accept', by: 'carol' })).toEqual({
      ok: true,
      actionId: '17',
    });
    await until('closed', () => b.closed && b.reports.length >= 2 && b.feedback.length > 0, 30_000);
    expect(readFileSync(target).equals(bytes)).toBe(true);
    expect(b.feedback.at(-1)?.status).toMatchObject({ execution: 'closed', result: { finished: 'success' } });
    expect(b.reports.at(-1)?.modules[0]?.attributes.swVersion).toBe('2.0.0');
    const after = await readStatus(config, '1.0.0');
    expect(after).toMatchObject({
      installedRecipe: { id: '42', name: 'fleet-A', version: '2.1.0' },
      update: null,
      lastResult: { actionId: '17', finished: 'success' },
      pendingFeedback: 0,
      backend: { lastPollOk: true, controllerId: 'gw' },
    });
    stop.abort();
    await running;
    stops.length = 0;
    expect((await readStatus(config, '1.0.0')).agent).toEqual({
      version: '1.0.0',
      running: false,
      pid: null,
    });
  });

  it('MQTT local API: retained status and consent request, consent answered over MQTT, check command', async () => {
    const { startMosquitto } = await import('../helpers/mosquitto.js');
    const mqtt = (await import('mqtt')).default;
    const broker = await startMosquitto();
    stops.push(() => broker.stop());
    const { b, target, key, config } = await gateway('soup-daemon-mqtt-', {
      mqtt: { url: broker.url, topicPrefix: 'soup' },
    });
    const client = await mqtt.connectAsync(broker.url);
    stops.push(() => client.endAsync());
    const received = new Map<string, unknown>();
    client.on('message', (topic, payload) => {
      if (payload.length > 0) received.set(topic, JSON.parse(payload.toString()) as unknown);
      else received.delete(topic);
    });
    await client.subscribeAsync('soup/gw/#');
    const stop = new AbortController();
    const running = runDaemon({
      config,
      log: silentLogger(),
      clock: systemClock,
      agentVersion: '1.0.0',
      signal: stop.signal,
    });
    stops.unshift(async () => {
      stop.abort();
      await running;
    });
    await until('retained status', () => received.has('soup/gw/status'));
    const bytes = await offerGatewayImage(b, key, 4000);
    await client.publishAsync('soup/gw/command', JSON.stringify({ command: 'check' }));
    await until('consent request', () => received.has('soup/gw/consent/request'));
    expect(received.get('soup/gw/consent/request')).toMatchObject({
      actionId: '17',
      recipe: { id: '42', name: 'fleet-A', version: '2.1.0' },
    });
    await client.publishAsync(
      'soup/gw/consent/response',
      JSON.stringify({ actionId: '17', decision: 'accept', by: 'hmi' }),
    );
    await until('closed', () => b.closed, 30_000);
    expect(readFileSync(target).equals(bytes)).toBe(true);
    await until('consent request cleared', () => !received.has('soup/gw/consent/request'));
    await until(
      'status after the update',
      () =>
        (received.get('soup/gw/status') as { lastResult?: { finished?: string } } | undefined)?.lastResult
          ?.finished === 'success',
    );
  });

  it('the system report goes out before the first poll: an action offered then starts on that poll', async () => {
    const { b, key, config } = await gateway('soup-daemon-first-');
    await offerGatewayImage(b, key, 1000);
    const stop = new AbortController();
    const running = runDaemon({
      config,
      log: silentLogger(),
      clock: systemClock,
      agentVersion: '1.0.0',
      signal: stop.signal,
    });
    stops.push(async () => {
      stop.abort();
      await running;
    });
    // polling every hour: only the first poll can have started it
    await until('consent request', () => b.feedback.some((f) => f.phase === 'waiting-consent'));
    const root = 'GET /T/controller/v1/gw';
    expect(b.requests.slice(0, 2)).toEqual(['PUT /T/controller/v1/gw/systemReport', root]);
    expect(b.requests.filter((r) => r === root)).toHaveLength(1);
    expect(b.reports).toHaveLength(1);
  });
});
