/**
 * `install BUNDLE` when no daemon runs: the same engine in this process (run loop, handlers, inventory,
 * state store), driven until the action ends. No network is used: the feedback stays in the durable
 * outbox until the daemon delivers it or `feedback export` carries it out.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { createHandlerRegistry } from '../../handlers/registry.js';
import { createGatewayFacts } from '../../inventory/gateway-facts.js';
import { buildSystemReport } from '../../inventory/report.js';
import type { Clock } from '../../lib/clock.js';
import { SoupError } from '../../lib/errors.js';
import type { Jwks } from '../../recipe/jws.js';
import type { AgentConfig } from '../config.js';
import { lazyLinks } from '../daemon.js';
import { InstallApi } from '../install-api.js';
import { createAuth } from '../net/auth.js';
import { type LastResult, UpdateRunner } from '../run-loop.js';
import { StateStore } from '../store.js';
import { beginBundleInstall } from './install.js';
import type { BundleManifest } from './manifest.js';

export interface LocalInstallOptions {
  config: AgentConfig;
  log: Logger;
  clock: Clock;
  agentVersion: string;
  signal: AbortSignal;
  /** Called once the bundle is accepted and its action started. */
  onStart?: (manifest: BundleManifest) => void;
  /** Called about every `tickMs` while the action runs, with the runner to read progress from. */
  onTick?: (runner: UpdateRunner) => void;
  tickMs?: number;
}

export async function installBundleLocally(file: string, options: LocalInstallOptions): Promise<LastResult> {
  const { config, clock, signal } = options;
  const log = options.log.child({ component: 'install' });
  const store = StateStore.open(config.dataDir);
  const links = lazyLinks(log);
  try {
    const api = new InstallApi({
      url: config.server.url,
      tenant: config.server.tenant,
      controllerId: config.server.controllerId,
      auth: createAuth(config.server.auth),
      timeoutMs: config.server.requestTimeoutMs,
      now: () => clock.now(),
    });
    const facts = createGatewayFacts();
    const trust = async (): Promise<Jwks> => JSON.parse(await readFile(config.trust.keys, 'utf8')) as Jwks;
    const runner = new UpdateRunner({
      config,
      store,
      api,
      registry: createHandlerRegistry(),
      clock,
      log: log.child({ component: 'update' }),
      links,
      inventory: async (s) => {
        const report = await buildSystemReport({
          controllerId: config.server.controllerId,
          modules: config.modules,
          agentVersion: options.agentVersion,
          facts,
          installedVersion: (name) => store.get<string>(`installed.${name}`),
          links,
          log: log.child({ component: 'inventory' }),
          signal: s,
          now: () => clock.now(),
        });
        store.set('report.last', report);
        return report;
      },
      // offline: the new report goes out with the daemon's next poll
      sendReport: async () => {},
      trust,
      limits: { stepAttempts: config.update.stepAttempts, maxResumes: config.update.maxResumes },
    });
    const manifest = await beginBundleInstall({ config, store, trust, runner, now: () => clock.now() }, file);
    options.onStart?.(manifest);
    const tickMs = options.tickMs ?? 250;
    for (;;) {
      const stopTicks = new AbortController();
      const ticking = (async () => {
        const both = AbortSignal.any([signal, stopTicks.signal]);
        while (!both.aborted) {
          options.onTick?.(runner);
          await clock.sleep(tickMs, both).catch(() => {});
        }
      })();
      const step = await runner.advance(signal);
      stopTicks.abort();
      await ticking;
      options.onTick?.(runner);
      if (step.finished) break;
      if (signal.aborted)
        throw new SoupError(
          'SOUP_E_CANCELLED',
          `install: interrupted; action ${manifest.actionId} resumes when the daemon starts`,
        );
      await clock.sleep(Math.min(step.waitMs ?? 1000, 1000), signal).catch(() => {});
    }
    const last = store.get<LastResult>('lastResult');
    if (last === undefined || last.actionId !== manifest.actionId)
      throw new SoupError('SOUP_E_STATE', `install: action ${manifest.actionId} ended without a result`);
    return last;
  } finally {
    await links.closeAll();
    store.close();
  }
}
