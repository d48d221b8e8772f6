/**
 * Inventory probes: one per configured module. A probe asks the module who it is; the inventory
 * (src/inventory/report.ts) runs them in sorted order, and a failing probe reports its module as
 * `unreachable` without sinking the report.
 */
import type { Logger } from 'pino';
import type { LinkProvider } from '../protocols/buses/types.js';
import type { ModuleConfig } from './module-config.js';

export interface ProbeContext {
  log: Logger;
  signal: AbortSignal;
  links: LinkProvider;
}

export interface ProbeResult {
  /** The module's serial number, when it reports one (becomes the report `id`). */
  serialNumber?: string;
  /** What the module reports about itself; wins over configured static attributes. */
  attributes: Record<string, string>;
}

export interface ModuleProbe {
  readonly name: string;
  readonly config: ModuleConfig;
  probe(ctx: ProbeContext): Promise<ProbeResult>;
}
