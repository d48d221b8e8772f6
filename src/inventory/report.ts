/**
 * The system report (`agent.md`, "The system report"; `install-api.md`, PUT systemReport): every
 * configured module, the gateway included, in a deterministic order. Probes on the same link (a serial
 * port, a CAN bus) run one at a time in that order; different links are probed in parallel, as transfers
 * are. A probe that throws (or cannot even be created) makes its module `unreachable` and the rest
 * still go out.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { oneLine } from '../lib/errors.js';
import type { LinkProvider } from '../protocols/buses/types.js';
import type { ReportedModule, SystemReport } from '../recipe/types.js';
import type { GatewayFacts } from './gateway-facts.js';
import type { LocalModuleConfig, ModulesConfig } from './module-config.js';
import { type ConfiguredModule, configuredModules } from './modules.js';
import { createSmpProbe } from './probes/smp.js';
import { createUdsProbe } from './probes/uds.js';
import type { ModuleProbe, ProbeResult } from './types.js';

export interface InventoryDeps {
  controllerId: string;
  modules: ModulesConfig;
  agentVersion: string;
  facts: () => Promise<GatewayFacts>;
  /** The swVersion the agent last installed on a local module, from its state. */
  installedVersion: (moduleName: string) => string | undefined;
  links: LinkProvider;
  log: Logger;
  signal?: AbortSignal;
  /** Clock reading for the report timestamp (ms since the epoch). */
  now: () => number;
  /** Probe factory (tests inject in-memory probes); default: SMP for serial, UDS for CAN. */
  probeFor?: (module: ConfiguredModule) => ModuleProbe;
  /** `per-link` (default): links in parallel, one probe per link at a time; `sequential`: one at a time. */
  probing?: 'per-link' | 'sequential';
}

/** The link a module is reached over: probes sharing one never overlap. */
function linkOf(module: ConfiguredModule): string {
  const config = module.config;
  if (config === undefined || config.kind === 'local') return `local:${module.name}`;
  return config.kind === 'serial' ? `serial:${config.entry.path}` : `can:${config.bus.bus}`;
}

function defaultProbe(module: ConfiguredModule): ModuleProbe {
  const config = module.config;
  if (config === undefined || config.kind === 'local') throw new Error('local modules are not probed');
  return config.kind === 'serial' ? createSmpProbe(config.entry) : createUdsProbe(config.bus, config.entry);
}

function staticAttributes(module: ConfiguredModule): Record<string, string> {
  return { ...(module.config?.entry.attributes ?? {}) };
}

function localModule(
  deps: InventoryDeps,
  module: ConfiguredModule,
  entry: LocalModuleConfig | undefined,
): ReportedModule {
  const attributes = staticAttributes(module);
  const installed = deps.installedVersion(module.name);
  if (installed !== undefined) attributes.swVersion = installed;
  const type = module.gateway ? 'gateway' : (attributes['module-id'] ?? entry?.type ?? 'unknown');
  return {
    id: module.gateway ? deps.controllerId : `${deps.controllerId}/${module.name}`,
    type,
    name: module.name,
    attributes,
  };
}

/** Builds the report now. Never throws for a module: a failing one is reported unreachable. */
export async function buildSystemReport(deps: InventoryDeps): Promise<SystemReport> {
  const modules = configuredModules(deps.modules);
  const out: ReportedModule[] = new Array(modules.length);
  const byLink = new Map<string, number[]>();
  modules.forEach((module, i) => {
    const key = deps.probing === 'sequential' ? 'all' : linkOf(module);
    byLink.set(key, [...(byLink.get(key) ?? []), i]);
  });
  await Promise.all(
    [...byLink.values()].map(async (indexes) => {
      for (const i of indexes) out[i] = await reportModule(deps, modules[i]!);
    }),
  );
  return {
    timestamp: new Date(deps.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    gatewayId: deps.controllerId,
    modules: out,
  };
}

async function reportModule(deps: InventoryDeps, module: ConfiguredModule): Promise<ReportedModule> {
  const config = module.config;
  if (config === undefined || config.kind === 'local') {
    const reported = localModule(deps, module, config?.entry);
    if (module.gateway) {
      const facts = await deps.facts();
      Object.assign(reported.attributes, { os: facts.os, arch: facts.arch, agentVersion: deps.agentVersion });
    }
    return reported;
  }
  let result: ProbeResult;
  try {
    const probe = (deps.probeFor ?? defaultProbe)(module);
    const signal = deps.signal ?? new AbortController().signal;
    result = await probe.probe({ log: deps.log.child({ module: module.name }), signal, links: deps.links });
  } catch (err) {
    deps.log.warn({ module: module.name, err: oneLine(err) }, 'module did not answer: reported unreachable');
    return {
      id: `${deps.controllerId}/${module.name}`,
      type: 'unknown',
      name: module.name,
      status: 'unreachable',
      attributes: {},
    };
  }
  const attributes = { ...staticAttributes(module), ...result.attributes };
  return {
    id: result.serialNumber ?? `${deps.controllerId}/${module.name}`,
    type: attributes['module-id'] ?? 'unknown',
    name: module.name,
    attributes,
  };
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Hash of the report's content (the timestamp excluded): equal hashes = nothing to re-send. */
export function reportHash(report: SystemReport): string {
  return createHash('sha256')
    .update(canonical({ gatewayId: report.gatewayId, modules: report.modules }))
    .digest('hex');
}
