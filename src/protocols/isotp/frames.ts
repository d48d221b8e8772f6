/**
 * ISO 15765-2 (ISO-TP) protocol control information: the four frame types, pure encode/decode.
 *
 *   SF  0x0L d…                 single frame, L = 1–7 (classic)
 *   SF  0x00 LL d…              single frame, length escape: CAN FD frames longer than 8 bytes, LL ≤ 62
 *   FF  0x1L LL d…              first frame, 12-bit length 8…4095 (classic: 6 data bytes)
 *   FF  0x10 0x00 LLLLLLLL d…   first frame, 32-bit escape for lengths above 4095 (classic: 2 data bytes)
 *   CF  0x2N d…                 consecutive frame, sequence number N = 1, 2, … 15, 0, 1, …
 *   FC  0x3S BS ST              flow control: S 0 continue / 1 wait / 2 overflow, block size, STmin
 *
 * STmin byte: 0x00–0x7F milliseconds, 0xF1–0xF9 100–900 µs, reserved values are read as 0x7F (127 ms).
 * Classic frames are padded to 8 bytes (0xCC unless configured); CAN FD frames are padded up to the
 * next valid data length (8, 12, 16, 20, 24, 32, 48, 64).
 */

export type FlowStatus = 'continue' | 'wait' | 'overflow';

export type IsoTpPdu =
  | { type: 'single'; data: Uint8Array }
  | { type: 'first'; length: number; data: Uint8Array }
  | { type: 'consecutive'; sn: number; data: Uint8Array }
  | { type: 'flow'; status: FlowStatus; blockSize: number; stMin: number };

export type DecodeResult = { ok: true; pdu: IsoTpPdu } | { ok: false; reason: string };

/** Frame geometry: 8 for classic CAN, 64 for CAN FD. */
export type FrameSize = 8 | 64;

export const DEFAULT_PADDING = 0xcc;
export const MAX_FF_LENGTH = 0xffffffff;
const FD_LENGTHS = [8, 12, 16, 20, 24, 32, 48, 64];

/** Payload bytes a single frame can carry. */
export function singleFrameCapacity(frameSize: FrameSize): number {
  return frameSize === 8 ? 7 : 62;
}

/** Data bytes carried by a first frame announcing `length`. */
export function firstFrameCapacity(frameSize: FrameSize, length: number): number {
  return frameSize - (length > 4095 ? 6 : 2);
}

export function consecutiveFrameCapacity(frameSize: FrameSize): number {
  return frameSize - 1;
}

export function encodePdu(
  pdu: IsoTpPdu,
  frameSize: FrameSize,
  padding: number | null = DEFAULT_PADDING,
): Uint8Array {
  let head: number[];
  let data: Uint8Array = new Uint8Array(0);
  switch (pdu.type) {
    case 'single':
      if (pdu.data.length === 0 || pdu.data.length > singleFrameCapacity(frameSize))
        throw new RangeError(
          `single frame of ${pdu.data.length} bytes (max ${singleFrameCapacity(frameSize)})`,
        );
      head = pdu.data.length <= 7 ? [pdu.data.length] : [0x00, pdu.data.length];
      data = pdu.data;
      break;
    case 'first':
      if (pdu.length > MAX_FF_LENGTH || pdu.length < 8)
        throw new RangeError(`first frame length ${pdu.length}`);
      head =
        pdu.length <= 4095
          ? [0x10 | (pdu.length >> 8), pdu.length & 0xff]
          : [
              0x10,
              0x00,
              (pdu.length >>> 24) & 0xff,
              (pdu.length >>> 16) & 0xff,
              (pdu.length >>> 8) & 0xff,
              pdu.length & 0xff,
            ];
      data = pdu.data;
      if (head.length + data.length !== frameSize) throw new RangeError('first frame must fill the frame');
      break;
    case 'consecutive':
      head = [0x20 | (pdu.sn & 0x0f)];
      data = pdu.data;
      break;
    case 'flow': {
      const fs = pdu.status === 'continue' ? 0 : pdu.status === 'wait' ? 1 : 2;
      head = [0x30 | fs, pdu.blockSize & 0xff, pdu.stMin & 0xff];
      break;
    }
    default: {
      const never: never = pdu;
      throw new Error(`unknown PDU ${String(never)}`);
    }
  }
  const used = head.length + data.length;
  if (used > frameSize) throw new RangeError(`${used} bytes exceed a ${frameSize}-byte frame`);
  const size = paddedLength(used, padding);
  const out = new Uint8Array(size).fill(padding ?? DEFAULT_PADDING);
  out.set(head, 0);
  out.set(data, head.length);
  return out;
}

function paddedLength(used: number, padding: number | null): number {
  if (used > 8) return FD_LENGTHS.find((n) => n >= used) ?? 64;
  if (padding === null) return used;
  return 8;
}

/** Decodes the PCI of one received frame's data. */
export function decodePdu(bytes: Uint8Array): DecodeResult {
  const b0 = bytes[0];
  if (b0 === undefined) return { ok: false, reason: 'empty frame' };
  const frameLen = bytes.length;
  switch (b0 >> 4) {
    case 0: {
      const nibble = b0 & 0x0f;
      if (frameLen <= 8) {
        if (nibble === 0 || nibble > frameLen - 1)
          return { ok: false, reason: `single frame length ${nibble}` };
        return { ok: true, pdu: { type: 'single', data: bytes.slice(1, 1 + nibble) } };
      }
      if (nibble !== 0)
        return { ok: false, reason: 'single frame in a CAN FD frame must use the length escape' };
      const len = bytes[1]!;
      if (len === 0 || len > frameLen - 2) return { ok: false, reason: `single frame length ${len}` };
      return { ok: true, pdu: { type: 'single', data: bytes.slice(2, 2 + len) } };
    }
    case 1: {
      if (frameLen < 8) return { ok: false, reason: 'first frame shorter than 8 bytes' };
      const len12 = ((b0 & 0x0f) << 8) | bytes[1]!;
      let length = len12;
      let start = 2;
      if (len12 === 0) {
        length = ((bytes[2]! << 24) | (bytes[3]! << 16) | (bytes[4]! << 8) | bytes[5]!) >>> 0;
        start = 6;
        if (length <= 4095) return { ok: false, reason: `escaped first frame length ${length} ≤ 4095` };
      }
      const minLength = frameLen <= 8 ? 8 : frameLen - 1;
      if (length < minLength)
        return { ok: false, reason: `first frame length ${length} fits a single frame` };
      return { ok: true, pdu: { type: 'first', length, data: bytes.slice(start) } };
    }
    case 2:
      return { ok: true, pdu: { type: 'consecutive', sn: b0 & 0x0f, data: bytes.slice(1) } };
    case 3: {
      if (frameLen < 3) return { ok: false, reason: 'flow control shorter than 3 bytes' };
      const fs = b0 & 0x0f;
      if (fs > 2) return { ok: false, reason: `flow status ${fs}` };
      const status: FlowStatus = fs === 0 ? 'continue' : fs === 1 ? 'wait' : 'overflow';
      return { ok: true, pdu: { type: 'flow', status, blockSize: bytes[1]!, stMin: bytes[2]! } };
    }
    default:
      return { ok: false, reason: `unknown frame type 0x${(b0 >> 4).toString(16)}` };
  }
}

/** Minimum separation time in milliseconds for an STmin byte. */
export function stMinToMs(raw: number): number {
  if (raw <= 0x7f) return raw;
  if (raw >= 0xf1 && raw <= 0xf9) return (raw - 0xf0) / 10;
  return 127;
}

/** The STmin byte for a separation of `ms` milliseconds (rounded up to what the byte can say). */
export function msToStMin(ms: number): number {
  if (ms <= 0) return 0;
  if (ms < 1) return 0xf0 + Math.min(9, Math.max(1, Math.ceil(ms * 10)));
  return Math.min(0x7f, Math.ceil(ms));
}
