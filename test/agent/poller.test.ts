/**
 * The poller against the fake Install API on 127.0.0.1 with a real state file and the agent's real
 * services (report sending, Install API client): the report before the root poll, the offered action
 * started on the first poll, a forced report, back-off when the backend is down.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/agent/config.js';
import { Poller } from '../../src/agent/poller.js';
import { createAgentServices } from '../../src/agent/services.js';
import { StateStore } from '../../src/agent/store.js';
import { ManualClock } from '../../src/lib/clock.js';
import { notBuilt } from '../../src/lib/errors.js';
import { silentLogger } from '../../src/lib/log.js';
import { type FakeBackend, startFakeBackend } from './fake-backend.js';

const ROOT = '/T/controller/v1/gw';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(options: { backend?: FakeBackend; url?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'soup-poller-'));
  const target = join(dir, 'slot.img');
  writeFileSync(target, 'old');
  const config = buildConfig({
    server: {
      url: options.url ?? options.backend?.url ?? '',
      tenant: 'T',
      controllerId: 'gw',
      auth: { targetToken: 'tok' },
      requestTimeoutMs: 5_000,
    },
    dataDir: join(dir, 'data'),
    trust: { keys: join(dir, 'trust.json') },
    modules: {
      local: [
        { name: 'gateway', gateway: true, handler: 'rawfile', target, attributes: { swVersion: '1.0.0' } },
      ],
    },
    polling: { errorBaseMs: 1_000, errorCapMs: 8_000, jitter: 0 },
  });
  const store = StateStore.open(config.dataDir);
  cleanups.push(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const links = { serial: () => notBuilt('links'), can: () => notBuilt('links') };
  const services = createAgentServices({
    config,
    log: silentLogger(),
    clock,
    agentVersion: '1.0.0',
    store,
    links,
  });
  const started: string[] = [];
  const cancels: string[] = [];
  let delivered = 0;
  const poller = new Poller({
    config,
    api: services.api,
    store,
    clock,
    log: silentLogger(),
    runner: {
      current: undefined,
      start: (_kind, actionId) => {
        started.push(actionId);
      },
    },
    sendReport: services.sendReport,
    deliver: async () => {
      delivered++;
    },
    cancel: { handle: async (link) => void cancels.push(link.href) },
  });
  return { poller, store, started, cancels, delivered: () => delivered };
}

async function backend(): Promise<FakeBackend> {
  const b = await startFakeBackend();
  cleanups.push(() => b.close());
  b.sleep = '00:05:00';
  return b;
}

const signal = new AbortController().signal;

describe('poller', () => {
  it('sends the system report before the first root poll, then starts the offered action on that poll', async () => {
    const b = await backend();
    b.action = {
      id: '17',
      recipe: { id: '42', name: 'r', version: '1' },
      file: Buffer.from('{}'),
      signatures: [],
      artifacts: new Map(),
    };
    const { poller, store, started, delivered } = await setup({ backend: b });
    expect(await poller.poll(signal)).toBe(300_000);
    expect(b.requests.slice(0, 2)).toEqual([`PUT ${ROOT}/systemReport`, `GET ${ROOT}`]);
    expect(b.reports).toHaveLength(1);
    expect(started).toEqual(['17']);
    expect(delivered()).toBe(1);
    expect(store.get('backend.lastPollOk')).toBe(true);
    expect(store.get('backend.lastError')).toBeNull();
    // nothing changed: the next round polls without a report
    await poller.poll(signal);
    expect(b.requests.slice(2)).toEqual([`GET ${ROOT}`]);
    expect(b.reports).toHaveLength(1);
  });

  it('a systemReport link sends the unchanged report again, after the poll', async () => {
    const b = await backend();
    const { poller } = await setup({ backend: b });
    await poller.poll(signal);
    b.wantReport = true;
    await poller.poll(signal);
    expect(b.requests.slice(2)).toEqual([`GET ${ROOT}`, `PUT ${ROOT}/systemReport`]);
    expect(b.reports).toHaveLength(2);
  });

  it('a report the backend refuses does not stop the poll; the round fails as before and starts nothing', async () => {
    const b = await backend();
    b.refuseReport = true;
    b.action = {
      id: '17',
      recipe: { id: '42', name: 'r', version: '1' },
      file: Buffer.from('{}'),
      signatures: [],
      artifacts: new Map(),
    };
    const { poller, store, started } = await setup({ backend: b });
    expect(await poller.poll(signal)).toBe(1_000);
    expect(b.requests).toEqual([`PUT ${ROOT}/systemReport`, `GET ${ROOT}`, `PUT ${ROOT}/systemReport`]);
    expect(store.get('backend.lastPollOk')).toBe(true);
    expect(String(store.get('backend.lastError'))).toContain('400');
    expect(started).toEqual([]);
  });

  it('a cancel link goes to cancel handling', async () => {
    const b = await backend();
    b.action = {
      id: '17',
      recipe: { id: '42', name: 'r', version: '1' },
      file: Buffer.from('{}'),
      signatures: [],
      artifacts: new Map(),
    };
    b.cancelRequested = true;
    const { poller, cancels } = await setup({ backend: b });
    await poller.poll(signal);
    expect(cancels).toHaveLength(1);
    expect(cancels[0]).toContain(`${ROOT}/cancelAction/`);
  });

  it('a backend that cannot be reached: recorded, and the waits back off to the cap', async () => {
    const b = await backend();
    const url = b.url;
    await b.close();
    cleanups.pop();
    const { poller, store, started } = await setup({ url });
    const waits = [];
    for (let i = 0; i < 5; i++) waits.push(await poller.poll(signal));
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(store.get('backend.lastPollOk')).toBe(false);
    expect(String(store.get('backend.lastError'))).not.toBe('');
    expect(started).toEqual([]);
  });
});
