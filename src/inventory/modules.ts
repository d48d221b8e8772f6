/**
 * The configured modules, flattened and sorted: each with its report name and its configuration. The
 * gateway is always among them: the `local` entry with `"gateway": true`, else a synthesized module named
 * `gateway` of type `gateway` (which no handler updates).
 */
import type { ModuleConfig, ModulesConfig } from './module-config.js';

export interface ConfiguredModule {
  name: string;
  gateway: boolean;
  /** `undefined` only for the synthesized gateway module. */
  config: ModuleConfig | undefined;
}

export function serialModuleName(entry: { name?: string; path: string }): string {
  return entry.name ?? entry.path.split('/').pop() ?? entry.path;
}

/** Gateway first, then the others by name (deterministic order: STYLE 9). */
export function configuredModules(modules: ModulesConfig): ConfiguredModule[] {
  const out: ConfiguredModule[] = [];
  for (const entry of modules.serial ?? []) {
    out.push({ name: serialModuleName(entry), gateway: false, config: { kind: 'serial', entry } });
  }
  for (const bus of modules.can ?? []) {
    for (const entry of bus.ecus)
      out.push({ name: entry.name, gateway: false, config: { kind: 'can', bus, entry } });
  }
  for (const entry of modules.local ?? []) {
    out.push({ name: entry.name, gateway: entry.gateway === true, config: { kind: 'local', entry } });
  }
  if (!out.some((m) => m.gateway)) out.push({ name: 'gateway', gateway: true, config: undefined });
  return out.sort(
    (a, b) => Number(b.gateway) - Number(a.gateway) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

export function findModule(modules: ModulesConfig, name: string): ConfiguredModule | undefined {
  return configuredModules(modules).find((m) => m.name === name);
}
