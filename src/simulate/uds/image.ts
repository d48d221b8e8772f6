/**
 * The simulated ECU's image format (`module-protocols.md`): a 64-byte header so the ECU can report a
 * version, then the payload.
 *
 *   0   8  ASCII "SOUPIMG1"
 *   8  32  version, UTF-8, NUL-padded
 *   40  4  payload length, big-endian
 *   44  4  CRC-32 (IEEE, zlib) of the payload, big-endian
 *   48 16  zero
 *   64  …  payload
 *
 * Real ECUs have their own formats: the agent treats images as opaque bytes; only the simulator reads this.
 */
import { crc32 } from 'node:zlib';

export const SOUP_IMAGE_MAGIC = 'SOUPIMG1';
export const SOUP_HEADER_SIZE = 64;

export function buildSoupImage(options: { version: string; payload: Uint8Array }): Buffer {
  const version = Buffer.from(options.version, 'utf8');
  if (version.length === 0 || version.length > 32)
    throw new RangeError(`version "${options.version}" must be 1–32 bytes`);
  const header = Buffer.alloc(SOUP_HEADER_SIZE);
  header.write(SOUP_IMAGE_MAGIC, 0, 'ascii');
  version.copy(header, 8);
  header.writeUInt32BE(options.payload.length, 40);
  header.writeUInt32BE(crc32(options.payload), 44);
  return Buffer.concat([header, options.payload]);
}

export interface SoupImageHeader {
  version: string;
  payloadLength: number;
  crc: number;
}

/** Parses a header; returns a reason string when it is not one. */
export function parseSoupHeader(bytes: Uint8Array): SoupImageHeader | string {
  if (bytes.length < SOUP_HEADER_SIZE) return 'shorter than the 64-byte header';
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, SOUP_HEADER_SIZE);
  if (buf.toString('ascii', 0, 8) !== SOUP_IMAGE_MAGIC) return 'no SOUPIMG1 magic';
  const raw = buf.subarray(8, 40);
  const end = raw.indexOf(0);
  const version = raw.subarray(0, end < 0 ? 32 : end).toString('utf8');
  if (!version) return 'empty version';
  return { version, payloadLength: buf.readUInt32BE(40), crc: buf.readUInt32BE(44) };
}

/** Checks a whole image in memory (the simulator's flash): header, length and CRC. */
export function verifySoupImage(flash: Uint8Array, written: number): SoupImageHeader | string {
  const header = parseSoupHeader(flash.subarray(0, Math.min(written, SOUP_HEADER_SIZE)));
  if (typeof header === 'string') return header;
  if (SOUP_HEADER_SIZE + header.payloadLength > written)
    return `payload of ${header.payloadLength} bytes but only ${written - SOUP_HEADER_SIZE} written`;
  const crc = crc32(flash.subarray(SOUP_HEADER_SIZE, SOUP_HEADER_SIZE + header.payloadLength));
  if (crc !== header.crc) return `CRC-32 0x${crc.toString(16)} does not match 0x${header.crc.toString(16)}`;
  return header;
}
