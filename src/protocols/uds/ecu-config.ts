/**
 * From a configured CAN ECU (`modules.can[].ecus[]`, `agent.md`) to what the UDS code needs: ISO-TP
 * ids, memory layout, routine ids, DIDs. Errors name the key path.
 */
import { SoupError } from '../../lib/errors.js';

/** One configured CAN ECU (`modules.can[].ecus[]`), as the configuration gives it. */
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

export interface EcuSettings {
  name: string;
  txId: number;
  rxId: number;
  extended: boolean;
  fd: boolean;
  address: bigint;
  addressLength: number;
  sizeLength: number;
  eraseRoutine: number;
  checkRoutine: number;
  /** DID → attribute name, sorted by DID. */
  dids: [number, string][];
}

export const DEFAULT_DIDS: Record<string, string> = {
  F187: 'partNumber',
  F18C: 'serialNumber',
  F189: 'swVersion',
  F193: 'hwVersion',
};

export function parseHex(text: unknown, where: string, max: number): number {
  if (typeof text !== 'string' || !/^(0x)?[0-9a-fA-F]+$/i.test(text.trim()))
    throw new SoupError('SOUP_E_CONFIG', `${where}: "${String(text)}" is not a hex number`);
  const value = Number.parseInt(text.trim().replace(/^0x/i, ''), 16);
  if (value > max) throw new SoupError('SOUP_E_CONFIG', `${where}: ${text} is above 0x${max.toString(16)}`);
  return value;
}

export function ecuSettings(ecu: CanEcuConfig, where = `modules.can[].ecus[${ecu.name}]`): EcuSettings {
  const extended = ecu.extendedIds ?? false;
  const idMax = extended ? 0x1fffffff : 0x7ff;
  const addressLength = ecu.memory?.addressLength ?? 4;
  const sizeLength = ecu.memory?.sizeLength ?? 4;
  for (const [key, n] of [
    ['addressLength', addressLength],
    ['sizeLength', sizeLength],
  ] as const)
    if (!Number.isInteger(n) || n < 1 || n > 15)
      throw new SoupError('SOUP_E_CONFIG', `${where}.memory.${key}: ${n} is not 1–15`);
  const addressText = ecu.memory?.address ?? '0x0';
  if (!/^(0x)?[0-9a-fA-F]+$/i.test(addressText))
    throw new SoupError('SOUP_E_CONFIG', `${where}.memory.address: "${addressText}" is not a hex number`);
  const address = BigInt(`0x${addressText.replace(/^0x/i, '')}`);
  const dids = Object.entries(ecu.dids ?? DEFAULT_DIDS)
    .map(([did, attr]): [number, string] => [parseHex(did, `${where}.dids`, 0xffff), attr])
    .sort((a, b) => a[0] - b[0]);
  return {
    name: ecu.name,
    txId: parseHex(ecu.txId, `${where}.txId`, idMax),
    rxId: parseHex(ecu.rxId, `${where}.rxId`, idMax),
    extended,
    fd: ecu.fd ?? false,
    address,
    addressLength,
    sizeLength,
    eraseRoutine: parseHex(ecu.routines?.erase ?? '0xFF00', `${where}.routines.erase`, 0xffff),
    checkRoutine: parseHex(ecu.routines?.check ?? '0xFF01', `${where}.routines.check`, 0xffff),
    dids,
  };
}
