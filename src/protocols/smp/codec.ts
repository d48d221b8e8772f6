/**
 * SMP messages: header + CBOR map (cbor-x). Decoding accepts definite- and indefinite-length maps and
 * arrays and ignores unknown keys; encoding writes definite lengths, or indefinite ones on request
 * (what MCUboot serial recovery sends). Byte strings are plain CBOR byte strings (no typed-array tags).
 *
 * Errors in responses: SMP v1 `{rc: n}` (MGMT_ERR_*), SMP v2 `{err: {group: g, rc: n}}` (group-specific).
 *
 * cbor-x (with its native extension) is loaded on the first message, not with the agent: a gateway without
 * SMP modules never pays for it (about 1.7 MiB resident, docs/footprint.md).
 */
import { createRequire } from 'node:module';
import type { Encoder } from 'cbor-x';
import { SoupError } from '../../lib/errors.js';
import { decodeHeader, encodeHeader, SMP_HEADER_BYTES, type SmpHeader } from './header.js';

export type CborMap = Record<string, unknown>;

const require = createRequire(import.meta.url);
let encoder: Encoder | undefined;

function cbor(): Encoder {
  encoder ??= new (require('cbor-x') as typeof import('cbor-x')).Encoder({
    useRecords: false,
    mapsAsObjects: true,
    tagUint8Array: false,
    variableMapSize: true,
    pack: false,
  });
  return encoder;
}

export function encodeCbor(value: unknown): Uint8Array {
  return cbor().encode(value);
}

/**
 * Encodes with indefinite-length maps and arrays (0xbf … 0xff, 0x9f … 0xff), as MCUboot's serial
 * recovery does; scalars and byte strings go through cbor-x.
 */
export function encodeCborIndefinite(value: unknown): Uint8Array {
  const parts: Uint8Array[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      parts.push(Uint8Array.of(0x9f));
      for (const item of v) walk(item);
      parts.push(Uint8Array.of(0xff));
    } else if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
      parts.push(Uint8Array.of(0xbf));
      for (const [k, item] of Object.entries(v)) {
        if (item === undefined) continue;
        parts.push(cbor().encode(k));
        walk(item);
      }
      parts.push(Uint8Array.of(0xff));
    } else {
      parts.push(cbor().encode(v));
    }
  };
  walk(value);
  return Buffer.concat(parts);
}

export function decodeCbor(bytes: Uint8Array): unknown {
  return cbor().decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

export interface SmpMessage {
  header: SmpHeader;
  payload: CborMap;
}

export function encodeMessage(
  header: Omit<SmpHeader, 'length'>,
  payload: CborMap,
  options: { indefinite?: boolean } = {},
): Uint8Array {
  const body = options.indefinite ? encodeCborIndefinite(payload) : encodeCbor(payload);
  return Buffer.concat([encodeHeader({ ...header, length: body.length }), body]);
}

/** Decodes one SMP message; throws SOUP_E_SMP_FRAME with what is wrong and where. */
export function decodeMessage(bytes: Uint8Array): SmpMessage {
  const header = decodeHeader(bytes);
  const available = bytes.length - SMP_HEADER_BYTES;
  if (header.length !== available) {
    throw new SoupError(
      'SOUP_E_SMP_FRAME',
      `SMP header says ${header.length} payload bytes, the packet carries ${available}`,
    );
  }
  if (header.length === 0) return { header, payload: {} };
  let payload: unknown;
  try {
    payload = decodeCbor(bytes.subarray(SMP_HEADER_BYTES));
  } catch (err) {
    throw new SoupError(
      'SOUP_E_SMP_FRAME',
      `SMP payload at byte ${SMP_HEADER_BYTES} is not valid CBOR: ${(err as Error).message}`,
    );
  }
  if (
    payload === null ||
    typeof payload !== 'object' ||
    Array.isArray(payload) ||
    payload instanceof Uint8Array
  ) {
    throw new SoupError('SOUP_E_SMP_FRAME', 'SMP payload is not a CBOR map');
  }
  return { header, payload: payload as CborMap };
}

/** MGMT_ERR_* (SMP v1 `rc`, and v2 errors of the management groups 0 and 1 share the low ones). */
const MGMT_ERR: Record<number, string> = {
  0: 'EOK',
  1: 'EUNKNOWN, unknown error',
  2: 'ENOMEM, out of memory',
  3: 'EINVAL, invalid value',
  4: 'ETIMEOUT, timed out',
  5: 'ENOENT, no such entry',
  6: 'EBADSTATE, bad state',
  7: 'EMSGSIZE, response too large',
  8: 'ENOTSUP, not supported',
  9: 'ECORRUPT, corrupt',
  10: 'EBUSY, busy',
  11: 'EACCESSDENIED, access denied',
  12: 'UNSUPPORTED_TOO_OLD, protocol too old',
  13: 'UNSUPPORTED_TOO_NEW, protocol too new',
};

/** IMG_MGMT_ERR_* (SMP v2 errors of group 1). */
const IMG_MGMT_ERR: Record<number, string> = {
  1: 'UNKNOWN',
  2: 'FLASH_CONFIG_QUERY_FAIL',
  3: 'NO_IMAGE',
  4: 'NO_TLVS',
  5: 'INVALID_TLV',
  6: 'TLV_MULTIPLE_HASHES_FOUND',
  7: 'TLV_INVALID_SIZE',
  8: 'HASH_NOT_FOUND',
  9: 'NO_FREE_SLOT',
  10: 'FLASH_OPEN_FAILED',
  11: 'FLASH_READ_FAILED',
  12: 'FLASH_WRITE_FAILED',
  13: 'FLASH_ERASE_FAILED',
  14: 'INVALID_SLOT',
  15: 'NO_FREE_MEMORY',
  16: 'FLASH_CONTEXT_ALREADY_SET',
  17: 'FLASH_CONTEXT_NOT_SET',
  18: 'FLASH_AREA_DEVICE_NULL',
  19: 'INVALID_PAGE_OFFSET',
  20: 'INVALID_OFFSET',
  21: 'INVALID_LENGTH',
  22: 'INVALID_IMAGE_HEADER',
  23: 'INVALID_IMAGE_HEADER_MAGIC',
  24: 'INVALID_HASH',
  25: 'INVALID_FLASH_ADDRESS',
  26: 'VERSION_GET_FAILED',
  27: 'CURRENT_VERSION_IS_NEWER',
  28: 'IMAGE_ALREADY_PENDING',
  29: 'INVALID_IMAGE_VECTOR_TABLE',
  30: 'INVALID_IMAGE_TOO_LARGE',
  31: 'INVALID_IMAGE_DATA_OVERRUN',
  32: 'IMAGE_CONFIRMATION_DENIED',
  33: 'IMAGE_SETTING_TEST_TO_ACTIVE_DENIED',
};

export const RC_NOT_SUPPORTED = 8;

export interface SmpErrorInfo {
  /** Group of a v2 error; undefined for a v1 `rc`. */
  group?: number;
  rc: number;
  /** Human name of the code. */
  name: string;
}

/** The error a response carries, or undefined when it reports success. */
export function responseError(payload: CborMap): SmpErrorInfo | undefined {
  const err = payload.err;
  if (err !== null && typeof err === 'object') {
    const e = err as CborMap;
    const rc = typeof e.rc === 'number' ? e.rc : -1;
    const group = typeof e.group === 'number' ? e.group : -1;
    if (rc === 0) return undefined;
    const name = group === 1 ? IMG_MGMT_ERR[rc] : group === 0 ? MGMT_ERR[rc] : undefined;
    return { group, rc, name: name ?? `group ${group} error ${rc}` };
  }
  if (typeof payload.rc === 'number' && payload.rc !== 0) {
    return { rc: payload.rc, name: MGMT_ERR[payload.rc] ?? `error ${payload.rc}` };
  }
  return undefined;
}

export function isNotSupported(info: SmpErrorInfo): boolean {
  return info.group === undefined && info.rc === RC_NOT_SUPPORTED;
}
