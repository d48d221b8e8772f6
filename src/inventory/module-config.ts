/**
 * The `modules` section of the agent configuration (`agent.md`), as TypeScript types: the modules the
 * inventory probes and the handlers update. The JSON Schema that validates it lives with the agent
 * configuration (schemas/agent-config.schema.json). A CAN ECU's own settings are the UDS layer's
 * (protocols/uds/ecu-config.ts).
 */
import type { CanEcuConfig } from '../protocols/uds/ecu-config.js';

export type { CanEcuConfig };

export interface SerialModuleConfig {
  /** Name in reports; defaults to the base name of `path`. */
  name?: string;
  path: string;
  baudRate: number;
  protocol: 'smp';
  /** Static attributes, merged under what the module reports about itself (its own values win). */
  attributes?: Record<string, string>;
  /** Per-request timeout in ms (default set by the SMP client). */
  timeoutMs?: number;
}

export interface CanBusConfig {
  /** `can0` (SocketCAN) or `slcan:<serial path>`. */
  bus: string;
  bitrate: number;
  ecus: CanEcuConfig[];
}

export interface LocalModuleConfig {
  name: string;
  gateway?: boolean;
  type?: string;
  attributes?: Record<string, string>;
  /** Handler key that updates it: rawfile, raw, dummy… */
  handler: string;
  /** File or block device the handler writes. */
  target?: string;
}

export interface ModulesConfig {
  serial?: SerialModuleConfig[];
  can?: CanBusConfig[];
  local?: LocalModuleConfig[];
}

/** One configured module with where it came from. */
export type ModuleConfig =
  | { kind: 'serial'; entry: SerialModuleConfig }
  | { kind: 'can'; bus: CanBusConfig; entry: CanEcuConfig }
  | { kind: 'local'; entry: LocalModuleConfig };
