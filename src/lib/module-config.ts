/**
 * The `modules` section of the agent configuration (`agent.md`), as TypeScript types. The JSON Schema that
 * validates it lives with the agent configuration; these types are shared by the agent, the inventory
 * probes and the module handlers.
 */

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

export interface CanEcuConfig {
  name: string;
  /** Hex string (`0x7e0`): the id the gateway sends on. */
  txId: string;
  /** Hex string (`0x7e8`): the id the ECU answers on. */
  rxId: string;
  extendedIds?: boolean;
  fd?: boolean;
  attributes?: Record<string, string>;
  /** DID (hex, no prefix) → attribute name. */
  dids?: Record<string, string>;
  /** `key`: `xor:<mask>` or `module:<path to ES module exporting key(seed, level)>`. */
  security?: { level: number; key: string };
  memory?: { address: string; addressLength: number; sizeLength: number };
  routines?: { erase?: string; check?: string };
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
