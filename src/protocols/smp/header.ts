/**
 * The 8-byte SMP header ("SMP protocol specification"):
 *
 *   byte 0   res(3) | version(2) | op(3)     op: 0 read, 1 read rsp, 2 write, 3 write rsp
 *                                            version: 0 = SMP v1, 1 = SMP v2 (errors as {err:{group,rc}})
 *   byte 1   flags
 *   byte 2-3 length of the CBOR payload, BE16
 *   byte 4-5 group, BE16
 *   byte 6   sequence number
 *   byte 7   command id
 */
import { SoupError } from '../../lib/errors.js';

export const SMP_HEADER_BYTES = 8;

export const SmpOp = { read: 0, readRsp: 1, write: 2, writeRsp: 3 } as const;
export type SmpOpCode = (typeof SmpOp)[keyof typeof SmpOp];

export interface SmpHeader {
  op: SmpOpCode;
  /** 0 = SMP v1, 1 = SMP v2. */
  version: number;
  flags: number;
  length: number;
  group: number;
  seq: number;
  id: number;
}

export function encodeHeader(h: SmpHeader): Uint8Array {
  const out = Buffer.alloc(SMP_HEADER_BYTES);
  out[0] = ((h.version & 0x03) << 3) | (h.op & 0x07);
  out[1] = h.flags & 0xff;
  out.writeUInt16BE(h.length, 2);
  out.writeUInt16BE(h.group, 4);
  out[6] = h.seq & 0xff;
  out[7] = h.id & 0xff;
  return out;
}

export function decodeHeader(bytes: Uint8Array): SmpHeader {
  if (bytes.length < SMP_HEADER_BYTES) {
    throw new SoupError(
      'SOUP_E_SMP_FRAME',
      `SMP message of ${bytes.length} bytes is shorter than its header`,
    );
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const op = b[0]! & 0x07;
  if (op > 3) throw new SoupError('SOUP_E_SMP_FRAME', `SMP header byte 0: op ${op} is not 0..3`);
  return {
    op: op as SmpOpCode,
    version: (b[0]! >> 3) & 0x03,
    flags: b[1]!,
    length: b.readUInt16BE(2),
    group: b.readUInt16BE(4),
    seq: b[6]!,
    id: b[7]!,
  };
}
