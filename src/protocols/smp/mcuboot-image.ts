/**
 * MCUboot image format (MCUboot "Image tool" / bootutil image.h), little-endian:
 *
 *   header (ih_hdr_size bytes, 32 used):
 *     0  ih_magic 0x96f3b83d     4  ih_load_addr        8  ih_hdr_size u16   10 ih_protect_tlv_size u16
 *     12 ih_img_size u32         16 ih_flags u32        20 version: major u8, minor u8, revision u16, build u32
 *     28 pad
 *   payload (ih_img_size bytes)
 *   TLV area: info { it_magic 0x6907 u16, it_tlv_tot u16 (info included) } then TLVs { type u16, len u16, value }
 *     type 0x10 = SHA-256 over header + payload (+ protected TLVs), 32 bytes
 *
 * The version a module reports is the header's; the `hash` of image state is the SHA-256 TLV value.
 * Versions print as MCUmgr does (`1.2.3`, with the build as a fourth part when non-zero: `1.2.3.4`);
 * both that and imgtool's `1.2.3+4` parse.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { SoupError } from '../../lib/errors.js';

export const IMAGE_MAGIC = 0x96f3b83d;
export const TLV_INFO_MAGIC = 0x6907;
export const TLV_PROT_INFO_MAGIC = 0x6908;
export const TLV_SHA256 = 0x10;
export const IMAGE_HEADER_BYTES = 32;

export interface ImageVersion {
  major: number;
  minor: number;
  revision: number;
  build: number;
}

export interface McubootHeader {
  loadAddr: number;
  hdrSize: number;
  protectTlvSize: number;
  imgSize: number;
  flags: number;
  version: ImageVersion;
}

export interface McubootImageInfo {
  header: McubootHeader;
  /** Header + payload + TLV area. */
  totalSize: number;
  /** The SHA-256 TLV value. */
  hash: Uint8Array;
  version: string;
}

export function parseVersion(text: string): ImageVersion {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:[.+](\d+))?$/.exec(text.trim());
  if (!m) {
    throw new SoupError('SOUP_E_IMAGE', `version "${text}" is not major.minor.revision[+build]`);
  }
  const v = {
    major: Number(m[1]),
    minor: Number(m[2]),
    revision: Number(m[3] ?? 0),
    build: Number(m[4] ?? 0),
  };
  if (v.major > 255 || v.minor > 255 || v.revision > 65535 || v.build > 0xffffffff) {
    throw new SoupError('SOUP_E_IMAGE', `version "${text}" does not fit an MCUboot header (u8.u8.u16+u32)`);
  }
  return v;
}

/** As MCUmgr image state prints it. */
export function formatVersion(v: ImageVersion): string {
  const base = `${v.major}.${v.minor}.${v.revision}`;
  return v.build ? `${base}.${v.build}` : base;
}

/** Whether two version texts name the same MCUboot version (`1.2.3+4` = `1.2.3.4`, `1.2` = `1.2.0`). */
export function sameVersion(a: string, b: string): boolean {
  try {
    return formatVersion(parseVersion(a)) === formatVersion(parseVersion(b));
  } catch {
    return a === b;
  }
}

export function encodeHeader(h: McubootHeader): Buffer {
  const b = Buffer.alloc(h.hdrSize);
  b.writeUInt32LE(IMAGE_MAGIC, 0);
  b.writeUInt32LE(h.loadAddr, 4);
  b.writeUInt16LE(h.hdrSize, 8);
  b.writeUInt16LE(h.protectTlvSize, 10);
  b.writeUInt32LE(h.imgSize, 12);
  b.writeUInt32LE(h.flags, 16);
  b.writeUInt8(h.version.major, 20);
  b.writeUInt8(h.version.minor, 21);
  b.writeUInt16LE(h.version.revision, 22);
  b.writeUInt32LE(h.version.build, 24);
  return b;
}

/** Parses the first 32 bytes of an image; `where` names the source in errors. */
export function parseHeader(bytes: Uint8Array, where = 'image'): McubootHeader {
  if (bytes.length < IMAGE_HEADER_BYTES) {
    throw new SoupError('SOUP_E_IMAGE', `${where}: ${bytes.length} bytes is too short for an MCUboot header`);
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = b.readUInt32LE(0);
  if (magic !== IMAGE_MAGIC) {
    throw new SoupError(
      'SOUP_E_IMAGE',
      `${where}: not an MCUboot image (magic at byte 0 is 0x${magic.toString(16).padStart(8, '0')}, expected 0x96f3b83d)`,
    );
  }
  const h: McubootHeader = {
    loadAddr: b.readUInt32LE(4),
    hdrSize: b.readUInt16LE(8),
    protectTlvSize: b.readUInt16LE(10),
    imgSize: b.readUInt32LE(12),
    flags: b.readUInt32LE(16),
    version: { major: b[20]!, minor: b[21]!, revision: b.readUInt16LE(22), build: b.readUInt32LE(24) },
  };
  if (h.hdrSize < IMAGE_HEADER_BYTES) {
    throw new SoupError('SOUP_E_IMAGE', `${where}: header size ${h.hdrSize} at byte 8 is below 32`);
  }
  return h;
}

/** Parses the TLV area (starting at its info magic) and returns the SHA-256 TLV and the area's size. */
export function parseTlvs(bytes: Uint8Array, where = 'image', at = 0): { hash: Uint8Array; size: number } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let total = 0;
  if (b.length >= 4 && b.readUInt16LE(0) === TLV_PROT_INFO_MAGIC) {
    // protected TLVs come first; skip them
    pos = b.readUInt16LE(2);
    total = pos;
  }
  if (b.length < pos + 4 || b.readUInt16LE(pos) !== TLV_INFO_MAGIC) {
    throw new SoupError('SOUP_E_IMAGE', `${where}: no TLV area (magic 0x6907) at byte ${at + pos}`);
  }
  const end = pos + b.readUInt16LE(pos + 2);
  total = end;
  pos += 4;
  if (end > b.length) {
    throw new SoupError('SOUP_E_IMAGE', `${where}: TLV area at byte ${at} runs past the end of the image`);
  }
  while (pos + 4 <= end) {
    const type = b.readUInt16LE(pos);
    const len = b.readUInt16LE(pos + 2);
    if (pos + 4 + len > end) break;
    if (type === TLV_SHA256 && len === 32)
      return { hash: new Uint8Array(b.subarray(pos + 4, pos + 36)), size: total };
    pos += 4 + len;
  }
  throw new SoupError('SOUP_E_IMAGE', `${where}: no SHA-256 TLV (type 0x10) in the TLV area at byte ${at}`);
}

export interface BuildImageOptions {
  version: string;
  payload: Uint8Array;
  /** Header size, default 0x200 as Zephyr's imgtool uses (min 32). */
  hdrSize?: number;
  loadAddr?: number;
}

/** Builds an unsigned MCUboot image (header, payload, TLV area with the SHA-256 TLV). */
export function buildMcubootImage(options: BuildImageOptions): Uint8Array {
  const hdrSize = options.hdrSize ?? 0x200;
  const header = encodeHeader({
    loadAddr: options.loadAddr ?? 0,
    hdrSize,
    protectTlvSize: 0,
    imgSize: options.payload.length,
    flags: 0,
    version: parseVersion(options.version),
  });
  const hash = createHash('sha256').update(header).update(options.payload).digest();
  const tlv = Buffer.alloc(4 + 4 + 32);
  tlv.writeUInt16LE(TLV_INFO_MAGIC, 0);
  tlv.writeUInt16LE(tlv.length, 2);
  tlv.writeUInt16LE(TLV_SHA256, 4);
  tlv.writeUInt16LE(32, 6);
  hash.copy(tlv, 8);
  return Buffer.concat([header, options.payload, tlv]);
}

/** Parses a whole image held in memory (the simulator's slots). */
export function parseMcubootImage(bytes: Uint8Array, where = 'image'): McubootImageInfo {
  const header = parseHeader(bytes, where);
  const tlvAt = header.hdrSize + header.imgSize;
  if (tlvAt > bytes.length) {
    throw new SoupError(
      'SOUP_E_IMAGE',
      `${where}: image size ${header.imgSize} runs past the end (${bytes.length} bytes)`,
    );
  }
  const { hash, size } = parseTlvs(bytes.subarray(tlvAt), where, tlvAt);
  return { header, totalSize: tlvAt + size, hash, version: formatVersion(header.version) };
}

/** Reads header and TLV area of an image file without reading its payload. */
export async function readMcubootImageInfo(path: string): Promise<McubootImageInfo> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(IMAGE_HEADER_BYTES, size));
    await fh.read(head, 0, head.length, 0);
    const header = parseHeader(head, path);
    const tlvAt = header.hdrSize + header.imgSize;
    if (tlvAt >= size) {
      throw new SoupError(
        'SOUP_E_IMAGE',
        `${path}: image size ${header.imgSize} runs past the end (${size} bytes)`,
      );
    }
    const tail = Buffer.alloc(Math.min(size - tlvAt, 65536));
    await fh.read(tail, 0, tail.length, tlvAt);
    const tlv = parseTlvs(tail, path, tlvAt);
    return { header, totalSize: tlvAt + tlv.size, hash: tlv.hash, version: formatVersion(header.version) };
  } finally {
    await fh.close();
  }
}

/** Verifies that the SHA-256 TLV matches header + payload (+ protected TLVs) of an in-memory image. */
export function imageHashValid(bytes: Uint8Array, info: McubootImageInfo): boolean {
  const end = info.header.hdrSize + info.header.imgSize + info.header.protectTlvSize;
  const digest = createHash('sha256').update(bytes.subarray(0, end)).digest();
  return Buffer.from(info.hash).equals(digest);
}
