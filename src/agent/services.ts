/**
 * The agent's services, built once for the daemon and for `soup-agent install` without a daemon: the
 * Install API client, the inventory (a fresh system report), report sending (only when it changed unless
 * forced), and the update runner with the trust store and handler registry it needs.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { createHandlerRegistry } from '../handlers/registry.js';
import { createGatewayFacts } from '../inventory/gateway-facts.js';
import { buildSystemReport, reportHash } from '../inventory/report.js';
import type { Clock } from '../lib/clock.js';
import type { LinkProvider } from '../protocols/buses/types.js';
import type { Jwks } from '../recipe/jws.js';
import type { SystemReport } from '../recipe/types.js';
import type { AgentConfig } from './config.js';
import { InstallApi } from './install-api.js';
import { createAuth } from './net/auth.js';
import type { StateStore } from './store.js';
import { UpdateRunner } from './update-runner.js';

export interface AgentServicesOptions {
  config: AgentConfig;
  log: Logger;
  clock: Clock;
  agentVersion: string;
  store: StateStore;
  links: LinkProvider;
  onFeedback?: () => void;
}

export interface AgentServices {
  api: InstallApi;
  runner: UpdateRunner;
  inventory(signal: AbortSignal): Promise<SystemReport>;
  sendReport(signal: AbortSignal, force?: boolean): Promise<void>;
}

export function createAgentServices(options: AgentServicesOptions): AgentServices {
  const { config, clock, store, links, log } = options;
  const api = new InstallApi({
    url: config.server.url,
    tenant: config.server.tenant,
    controllerId: config.server.controllerId,
    auth: createAuth(config.server.auth),
    timeoutMs: config.server.requestTimeoutMs,
    now: () => clock.now(),
  });
  const facts = createGatewayFacts();
  const inventoryLog = log.child({ component: 'inventory' });
  const inventory = async (signal: AbortSignal): Promise<SystemReport> => {
    const report = await buildSystemReport({
      controllerId: config.server.controllerId,
      modules: config.modules,
      agentVersion: options.agentVersion,
      facts,
      installedVersion: (name) => store.get<string>(`installed.${name}`),
      links,
      log: inventoryLog,
      signal,
      now: () => clock.now(),
    });
    store.set('report.last', report);
    return report;
  };
  const sendReport = async (signal: AbortSignal, force = false): Promise<void> => {
    const report = await inventory(signal);
    const hash = reportHash(report);
    if (!force && store.get<string>('report.sentHash') === hash) return;
    await api.putSystemReport(report, signal);
    store.set('report.sentHash', hash);
    inventoryLog.info({ modules: report.modules.length, forced: force }, 'system report sent');
  };
  const trust = async (): Promise<Jwks> => JSON.parse(await readFile(config.trust.keys, 'utf8')) as Jwks;
  const runner = new UpdateRunner({
    config,
    store,
    api,
    registry: createHandlerRegistry(),
    clock,
    log: log.child({ component: 'update' }),
    links,
    inventory,
    sendReport: (s) => sendReport(s),
    trust,
    ...(options.onFeedback === undefined ? {} : { onFeedback: options.onFeedback }),
    limits: { stepAttempts: config.update.stepAttempts, maxResumes: config.update.maxResumes },
  });
  return { api, runner, inventory, sendReport };
}
