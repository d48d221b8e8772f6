/**
 * The command dispatcher: every command the daemon takes (control socket and MQTT alike), against a real
 * state file; the update runner and the bundle opener are stand-ins that record what they were asked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BundleManifest } from '../../src/agent/bundle/manifest.js';
import { createDispatcher, type DispatcherDeps } from '../../src/agent/commands.js';
import { buildConfig } from '../../src/agent/config.js';
import { PENDING_CONSENT } from '../../src/agent/steps/consent.js';
import { StateStore } from '../../src/agent/store.js';
import { ManualClock } from '../../src/lib/clock.js';
import { SoupError } from '../../src/lib/errors.js';
import { silentLogger } from '../../src/lib/log.js';
import type { SystemReport } from '../../src/recipe/types.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const REPORT = { controllerId: 'gw', modules: [] } as unknown as SystemReport;

function setup(options: { running?: string; unpack?: DispatcherDeps['unpack'] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'soup-commands-'));
  const config = buildConfig({
    server: { url: 'http://127.0.0.1:1', tenant: 'T', controllerId: 'gw', auth: { targetToken: 'tok' } },
    dataDir: join(dir, 'data'),
    trust: { keys: join(dir, 'trust.json') },
    modules: {},
  });
  const store = StateStore.open(config.dataDir);
  cleanups.push(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const seen = { wakes: 0, publishes: 0, inventories: 0, started: [] as string[] };
  let running = options.running;
  const runner = {
    get current() {
      return running === undefined ? undefined : ({ ctx: { actionId: running } } as never);
    },
    startOffline: (actionId: string) => {
      running = actionId;
      seen.started.push(actionId);
    },
  };
  const dispatch = createDispatcher({
    config,
    store,
    runner,
    clock: new ManualClock(1_000),
    log: silentLogger(),
    inventory: async () => {
      seen.inventories++;
      return REPORT;
    },
    wake: () => seen.wakes++,
    publish: () => seen.publishes++,
    signal: new AbortController().signal,
    ...(options.unpack === undefined ? {} : { unpack: options.unpack }),
  });
  return { dispatch, store, seen };
}

const manifest = (actionId: string): BundleManifest =>
  ({
    format: 'soup-bundle/1',
    tenant: 'T',
    controllerId: 'gw',
    actionId,
    recipe: { id: '42', name: 'fleet-A', version: '2.1.0' },
    createdAt: '2026-01-01T00:00:00Z',
  }) as BundleManifest;

describe('command dispatcher', () => {
  it('ping answers with the pid; check wakes the daemon', async () => {
    const { dispatch, seen } = setup();
    expect(await dispatch({ command: 'ping' })).toEqual({ ok: true, pid: process.pid });
    expect(await dispatch({ command: 'check' })).toEqual({ ok: true });
    expect(seen.wakes).toBe(1);
  });

  it('consent: refused without a pending request or for another action; taken and saved otherwise', async () => {
    const { dispatch, store, seen } = setup();
    expect(await dispatch({ command: 'consent', decision: 'accept', by: 'cli' })).toEqual({
      ok: false,
      error: 'no consent request is pending',
    });
    store.set(PENDING_CONSENT, { actionId: '17', recipe: null, releaseNotes: [] });
    expect(await dispatch({ command: 'consent', decision: 'accept', actionId: '99', by: 'cli' })).toEqual({
      ok: false,
      error: 'no consent request is pending for action 99 (pending: 17)',
    });
    expect(store.consentFor('17')).toBeUndefined();
    expect(seen.wakes).toBe(0);
    expect(await dispatch({ command: 'consent', decision: 'deny', by: 'mqtt app' })).toEqual({
      ok: true,
      actionId: '17',
    });
    expect(store.consentFor('17')).toEqual({ actionId: '17', decision: 'deny', by: 'mqtt app', at: 1_000 });
    expect(seen.wakes).toBe(1);
  });

  it('report: fresh when idle; the report taken for the update while one runs', async () => {
    const idle = setup();
    expect(await idle.dispatch({ command: 'report' })).toEqual({ ok: true, report: REPORT });
    expect(idle.seen.inventories).toBe(1);
    const busy = setup({ running: '17' });
    const cached = { controllerId: 'gw', modules: [{ id: 'cached' }] };
    busy.store.set('report.last', cached);
    expect(await busy.dispatch({ command: 'report' })).toEqual({ ok: true, report: cached, cached: true });
    expect(busy.seen.inventories).toBe(0);
  });

  it('install: started and the daemon woken; refused while an action runs, when installed already, or a bad bundle', async () => {
    const ok = setup({ unpack: async () => manifest('21') });
    expect(await ok.dispatch({ command: 'install', bundle: '/b.tar' })).toEqual({ ok: true, actionId: '21' });
    expect(ok.seen).toMatchObject({ started: ['21'], wakes: 1, publishes: 1 });
    // the action now runs: a second bundle waits its turn
    expect(await ok.dispatch({ command: 'install', bundle: '/c.tar' })).toEqual({
      ok: false,
      error: 'action 21 is in progress: try again when it has ended',
    });

    const done = setup({ unpack: async () => manifest('22') });
    done.store.finishAction('22', { finished: 'success' }, 1);
    expect(await done.dispatch({ command: 'install', bundle: '/b.tar' })).toEqual({
      ok: false,
      error: 'action 22 was already installed here',
    });
    expect(done.seen.started).toEqual([]);

    const bad = setup({
      unpack: async () => {
        throw new SoupError('SOUP_E_BUNDLE', 'bundle: bundle.json is missing');
      },
    });
    expect(await bad.dispatch({ command: 'install', bundle: '/b.tar' })).toEqual({
      ok: false,
      error: 'bundle: bundle.json is missing',
    });
    expect(bad.seen.started).toEqual([]);
  });
});
