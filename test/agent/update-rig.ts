import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { buildConfig } from '../../src/agent/config.js';
import { InstallApi } from '../../src/agent/install-api.js';
import { createAuth } from '../../src/agent/net/auth.js';
import { flushOutbox } from '../../src/agent/outbox.js';
import type { RunnerDeps } from '../../src/agent/steps/env.js';
import { StateStore } from '../../src/agent/store.js';
import { UpdateRunner } from '../../src/agent/update-runner.js';
import { createHandlerRegistry } from '../../src/handlers/registry.js';
import type { Handler } from '../../src/handlers/types.js';
import type { LocalModuleConfig } from '../../src/inventory/module-config.js';
import { buildSystemReport } from '../../src/inventory/report.js';
import { type Clock, systemClock } from '../../src/lib/clock.js';
import { notBuilt } from '../../src/lib/errors.js';
import { silentLogger } from '../../src/lib/log.js';
import { generateSigningKey, type Jwks, signDetached } from '../../src/recipe/jws.js';
import { type FakeBackend, type ImageSpec, recipeFile, startFakeBackend } from './fake-backend.js';

const BASE = '/T/controller/v1/gw';
export const BASE_PATH = BASE;
let backend: FakeBackend | undefined;
const stores: StateStore[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  await backend?.close();
  backend = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export interface Rig {
  dir: string;
  target: string;
  backend: FakeBackend;
  store: StateStore;
  deps: RunnerDeps;
  runner: () => UpdateRunner;
  publish: (
    images: ImageSpec[],
    options?: {
      noImage?: { module: string; match: Record<string, unknown> }[];
      badSignature?: boolean;
      handling?: { download: string; update: string };
      window?: { nextStartAt: number; duration: string };
      scripts?: { id: string; type: string; bytes: Buffer }[];
    },
  ) => Promise<void>;
  start: (r: UpdateRunner) => void;
  flush: () => Promise<void>;
}

export async function rig(
  options: {
    consent?: string;
    local?: LocalModuleConfig[];
    handlers?: Record<string, () => Handler>;
    clock?: Clock;
  } = {},
): Promise<Rig> {
  backend = await startFakeBackend();
  const b = backend;
  const dir = mkdtempSync(join(tmpdir(), 'soup-runner-'));
  dirs.push(dir);
  const target = join(dir, 'slot.img');
  writeFileSync(target, 'old image');
  const key = await generateSigningKey('oem-1');
  const other = await generateSigningKey('oem-1');
  const trustFile = join(dir, 'trust.jwks.json');
  writeFileSync(trustFile, JSON.stringify(key.publicJwks));
  const config = buildConfig({
    server: { url: b.url, tenant: 'T', controllerId: 'gw', auth: { targetToken: 'tok' } },
    dataDir: join(dir, 'data'),
    trust: { keys: trustFile },
    modules: {
      local: options.local ?? [
        {
          name: 'gateway',
          gateway: true,
          handler: 'rawfile',
          target,
          attributes: { 'module-id': 'gw', swVersion: '1.0.0' },
        },
      ],
    },
    consent: options.consent ?? 'whenAsked',
    update: { retryDelayMs: 0, stepAttempts: 2, maxResumes: 3 },
  });
  const store = StateStore.open(config.dataDir);
  stores.push(store);
  const clock = options.clock ?? systemClock;
  const api = new InstallApi({
    url: b.url,
    tenant: 'T',
    controllerId: 'gw',
    auth: createAuth({ targetToken: 'tok' }),
    timeoutMs: 10_000,
    now: () => clock.now(),
  });
  const links = { serial: () => notBuilt('links'), can: () => notBuilt('links') };
  const inventory = (signal: AbortSignal) =>
    buildSystemReport({
      controllerId: 'gw',
      modules: config.modules,
      agentVersion: '1.0.0',
      facts: async () => ({ os: 'Test OS', arch: 'x64' }),
      installedVersion: (name) => store.get<string>(`installed.${name}`),
      links,
      log: silentLogger(),
      signal,
      now: () => clock.now(),
    });
  const deps: RunnerDeps = {
    config,
    store,
    api,
    registry: createHandlerRegistry(options.handlers ?? {}),
    clock,
    log: silentLogger(),
    links,
    inventory,
    sendReport: async (signal) => api.putSystemReport(await inventory(signal), signal),
    trust: async () => key.publicJwks as Jwks,
    limits: { stepAttempts: 2, maxResumes: 3 },
  };
  return {
    dir,
    target,
    backend: b,
    store,
    deps,
    runner: () => new UpdateRunner(deps),
    publish: async (images, o = {}) => {
      const file = Buffer.from(JSON.stringify(recipeFile(images, o.noImage ?? [], o.scripts ?? []), null, 2));
      const signature = await signDetached(file, (o.badSignature ? other : key).privateJwk);
      const artifacts = new Map(images.map((i) => [i.artifactId, i.bytes]));
      for (const s of o.scripts ?? []) artifacts.set(s.id, s.bytes);
      b.action = {
        id: '17',
        recipe: { id: '42', name: 'fleet-A', version: '2.1.0' },
        file,
        signatures: [signature],
        artifacts,
        ...(o.handling === undefined ? {} : { handling: o.handling }),
        ...(o.window === undefined
          ? {}
          : { maintenanceWindow: { schedule: '0 0 2 ? * *', timezone: '+00:00', ...o.window } }),
      };
    },
    start: (r) =>
      r.start('system', '17', `${b.url}${BASE}/systemUpdate/17`, `${b.url}${BASE}/systemUpdate/17/feedback`),
    flush: async () => {
      await flushOutbox(store, api, silentLogger());
    },
  };
}

export const gatewayImage = (bytes: Buffer, type = 'rawfile'): ImageSpec => ({
  module: 'gateway',
  match: { 'module-id': 'gw' },
  type,
  version: '2.0.0',
  bytes,
  artifactId: '903',
});

export const final = (b: FakeBackend) => b.feedback.at(-1)!;
