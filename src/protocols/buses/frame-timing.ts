/**
 * Wire time of a CAN frame from its bit count (no bit stuffing modelled, `module-protocols.md`):
 *
 *   classic, 11-bit id: SOF 1 + id 11 + RTR 1 + IDE 1 + r0 1 + DLC 4 + data 8·n + CRC 15 + CRC delim 1
 *                       + ACK 2 + EOF 7 + interframe space 3 = 47 + 8·n   (n = 8 → 111 bits)
 *   classic, 29-bit id: + SRR 1 + id extension 18 + r1 1                  = 67 + 8·n
 *   CAN FD:             modelled at the nominal bitrate with a 21-bit CRC (no data-phase speed-up).
 */
import type { CanFrame } from './types.js';

export function frameBits(frame: CanFrame): number {
  const header = frame.extended ? 67 : 47;
  const crcExtra = frame.fd ? (frame.data.length > 16 ? 6 : 2) : 0;
  return header + crcExtra + 8 * frame.data.length;
}

/** Milliseconds the frame occupies a bus running at `bitrate` bit/s. */
export function frameMillis(frame: CanFrame, bitrate: number): number {
  return (frameBits(frame) * 1000) / bitrate;
}
