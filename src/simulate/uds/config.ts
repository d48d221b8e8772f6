/**
 * A simulated UDS ECU's settings: the `protocol: "uds"` entries of the simulate configuration
 * (`module-protocols.md`). The simulate command validates the file's shape; this re-checks what the
 * ECU needs and names the key path on error.
 *
 *   link: { slcan: "<path>", bitrate }   an SLCAN adapter on a pty at <path> (shared by ECUs naming it)
 *   link: { memory: "<name>", bitrate? } an in-process MemoryCanBus (`simulatedMemoryBus(name)`), for tests
 */
import { SoupError } from '../../lib/errors.js';

export type FaultType =
  | 'drop-frame'
  | 'corrupt-frame'
  | 'stall'
  | 'disconnect'
  | 'reboot'
  | 'refuse-boot'
  | 'nrc';
const FAULT_TYPES: FaultType[] = [
  'drop-frame',
  'corrupt-frame',
  'stall',
  'disconnect',
  'reboot',
  'refuse-boot',
  'nrc',
];

export interface FaultConfig {
  type: FaultType;
  atOffset?: number;
  atRequest?: number;
  count?: number;
  nrc?: number;
  durationMs?: number;
}

export type EcuLink =
  | { kind: 'slcan'; path: string; bitrate: number }
  | { kind: 'memory'; name: string; bitrate?: number };

export interface UdsEcuSimConfig {
  name: string;
  link: EcuLink;
  /** The id the ECU sends on (the agent's `rxId`). */
  txId: number;
  /** The id the ECU listens on (the agent's `txId`). */
  rxId: number;
  extended: boolean;
  fd: boolean;
  serialNumber: string;
  /** DID → value (text). F189 is always the running version, F18C the serial number. */
  dids: Map<number, string>;
  version: string;
  security?: { level: number; key: string };
  memory: { address: bigint; size: number };
  maxBlockLength: number;
  /** Time the erase routine takes (answered with 0x78 pending meanwhile). */
  eraseMs: number;
  faults: FaultConfig[];
}

function fail(where: string, what: string): never {
  throw new SoupError('SOUP_E_CONFIG', `${where}: ${what}`);
}

function hex(value: unknown, where: string, max: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max) return value;
  if (typeof value !== 'string' || !/^(0x)?[0-9a-fA-F]+$/i.test(value))
    fail(where, `"${String(value)}" is not a hex number`);
  const n = Number.parseInt(value.replace(/^0x/i, ''), 16);
  if (n > max) fail(where, `${value} is above 0x${max.toString(16)}`);
  return n;
}

function int(value: unknown, where: string, min: number, max: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    fail(where, `${String(value)} is not an integer in ${min}–${max}`);
  return value;
}

export function parseUdsEcuConfig(raw: Record<string, unknown>, index: number): UdsEcuSimConfig {
  const name =
    typeof raw.name === 'string' && raw.name ? raw.name : fail(`modules[${index}].name`, 'missing');
  const at = `modules[${index}] (${name})`;
  const link = (raw.link ?? {}) as Record<string, unknown>;
  let parsedLink: EcuLink;
  if (typeof link.slcan === 'string') {
    parsedLink = {
      kind: 'slcan',
      path: link.slcan,
      bitrate: int(link.bitrate, `${at}.link.bitrate`, 1000, 1_000_000, 500_000),
    };
  } else if (typeof link.memory === 'string') {
    parsedLink = { kind: 'memory', name: link.memory };
    if (link.bitrate !== undefined)
      parsedLink.bitrate = int(link.bitrate, `${at}.link.bitrate`, 1000, 8_000_000);
  } else {
    fail(`${at}.link`, 'needs "slcan": <path> or "memory": <name>');
  }
  const extended = raw.extendedIds === true;
  const idMax = extended ? 0x1fffffff : 0x7ff;
  const dids = new Map<number, string>();
  for (const [did, value] of Object.entries((raw.dids ?? {}) as Record<string, unknown>))
    dids.set(hex(did, `${at}.dids`, 0xffff), String(value));
  const memory = (raw.memory ?? {}) as Record<string, unknown>;
  const security = raw.security as { level?: unknown; key?: unknown } | undefined;
  const faults = ((raw.faults ?? []) as Record<string, unknown>[]).map((f, i) => {
    const where = `${at}.faults[${i}]`;
    if (!FAULT_TYPES.includes(f.type as FaultType))
      fail(`${where}.type`, `"${String(f.type)}" is not one of ${FAULT_TYPES.join(', ')}`);
    const fault: FaultConfig = { type: f.type as FaultType };
    if (f.atOffset !== undefined) fault.atOffset = int(f.atOffset, `${where}.atOffset`, 0, 2 ** 32);
    if (f.atRequest !== undefined) fault.atRequest = int(f.atRequest, `${where}.atRequest`, 1, 2 ** 31);
    if (f.count !== undefined) fault.count = int(f.count, `${where}.count`, 1, 2 ** 31);
    if (f.nrc !== undefined) fault.nrc = hex(f.nrc, `${where}.nrc`, 0xff);
    if (f.durationMs !== undefined) fault.durationMs = int(f.durationMs, `${where}.durationMs`, 0, 3_600_000);
    return fault;
  });
  const config: UdsEcuSimConfig = {
    name,
    link: parsedLink,
    txId: hex(raw.txId, `${at}.txId`, idMax),
    rxId: hex(raw.rxId, `${at}.rxId`, idMax),
    extended,
    fd: raw.fd === true,
    serialNumber: typeof raw.serialNumber === 'string' ? raw.serialNumber : `SN-${name}`,
    dids,
    version: typeof raw.image === 'string' && raw.image ? raw.image : '1.0.0',
    memory: {
      address: BigInt(hex(memory.address ?? '0x0', `${at}.memory.address`, 0xffffffff)),
      size: int(memory.size, `${at}.memory.size`, 64, 2 ** 30, 1 << 20),
    },
    maxBlockLength: int(raw.maxBlockLength, `${at}.maxBlockLength`, 3, 0xffff, 4095),
    eraseMs: int(raw.eraseMs, `${at}.eraseMs`, 0, 600_000, 0),
    faults,
  };
  if (security !== undefined) {
    if (typeof security.key !== 'string') fail(`${at}.security.key`, 'missing');
    config.security = { level: int(security.level, `${at}.security.level`, 1, 0x7d, 1), key: security.key };
  }
  return config;
}
