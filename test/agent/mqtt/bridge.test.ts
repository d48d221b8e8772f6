/**
 * The daemon's MQTT bridge logic with an in-memory local API and a manual clock: a broker that is down
 * at start is retried (one warning, the caller never waits), then the status goes out only when it
 * changed, phase changes and errors become events, and the consent request is put and cleared.
 */
import { describe, expect, it } from 'vitest';
import { startLocalApiBridge } from '../../../src/agent/mqtt/bridge.js';
import type { MqttLocalApi } from '../../../src/agent/mqtt/local-api.js';
import type { StatusJson } from '../../../src/agent/status.js';
import type { ConsentRequest } from '../../../src/agent/steps/consent.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { silentLogger } from '../../../src/lib/log.js';

function statusWith(phase: string | null, lastError: string | null = null): StatusJson {
  return {
    agent: { version: '1.0.0', running: true, pid: 1 },
    backend: {
      url: 'http://x',
      tenant: 'T',
      controllerId: 'gw',
      lastPollAt: null,
      lastPollOk: null,
      lastError,
    },
    modules: [],
    installedRecipe: null,
    update:
      phase === null
        ? null
        : {
            actionId: '7',
            kind: 'system',
            phase: phase as never,
            progress: { cnt: 4, of: 11 },
            recipe: null,
            modules: [],
          },
    lastResult: null,
    pendingFeedback: 0,
    pendingConsent: null,
  };
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
};

describe('MQTT bridge', () => {
  it('retries a broker that is down, then publishes changes only', async () => {
    const clock = new ManualClock(0);
    const published: { kind: string; value: unknown }[] = [];
    const api: MqttLocalApi = {
      publishStatus: async (s) => void published.push({ kind: 'status', value: s }),
      publishEvent: async (e) => void published.push({ kind: 'event', value: e }),
      requestConsent: async (r) => void published.push({ kind: 'consent', value: r }),
      clearConsent: async () => void published.push({ kind: 'clear', value: null }),
      close: async () => {},
    };
    let attempts = 0;
    let status = statusWith(null);
    let pending: ConsentRequest | undefined;
    const stop = new AbortController();
    const bridge = startLocalApiBridge({
      url: 'mqtt://127.0.0.1:1',
      topicPrefix: 'soup',
      controllerId: 'gw',
      log: silentLogger(),
      clock,
      signal: stop.signal,
      status: async () => status,
      pendingConsent: () => pending,
      onConsentResponse: () => {},
      onCommand: () => {},
      everyMs: 1000,
      retryMs: 5000,
      connect: async () => {
        attempts++;
        if (attempts < 3) throw new Error('connect ECONNREFUSED');
        return api;
      },
    });
    await flush();
    expect(attempts).toBe(1);
    bridge.refresh(); // not connected: nothing happens, nothing throws
    clock.advance(5000);
    await flush();
    expect(attempts).toBe(2);
    clock.advance(5000);
    await flush();
    expect(attempts).toBe(3);
    expect(published.filter((p) => p.kind === 'status')).toHaveLength(1);

    // unchanged: nothing more
    clock.advance(1000);
    await flush();
    expect(published.filter((p) => p.kind === 'status')).toHaveLength(1);

    // a phase change, a consent request, then the answer
    status = statusWith('waiting-consent');
    pending = {
      actionId: '7',
      recipe: { id: '1', name: 'r', version: '2' },
      releaseNotes: ['/n.md'],
      licenses: [],
    };
    bridge.refresh();
    await flush();
    expect(published.slice(1).map((p) => p.kind)).toEqual(['status', 'event', 'consent']);
    expect(published[2]?.value).toMatchObject({ type: 'phase', actionId: '7', phase: 'waiting-consent' });
    expect(published[3]?.value).toMatchObject({ actionId: '7', releaseNotes: ['/n.md'] });
    status = statusWith('downloading', 'poll failed: ECONNREFUSED');
    pending = undefined;
    bridge.refresh();
    await flush();
    expect(published.slice(4).map((p) => p.kind)).toEqual(['status', 'event', 'event', 'clear']);
    expect(published[6]?.value).toEqual({ type: 'error', message: 'poll failed: ECONNREFUSED' });
    await bridge.close();
  });
});
