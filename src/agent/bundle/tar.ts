/**
 * The index of a tar file (POSIX ustar, with pax extended headers for long names and sizes), read
 * header by header without extracting anything: what the bundle opener checks before it writes a byte.
 *
 *   offset 0    header, 512 bytes: name[100] mode[8] uid[8] gid[8] size[12] mtime[12] chksum[8]
 *               typeflag[1] linkname[100] magic[6] version[2] uname[32] gname[32] devmajor[8]
 *               devminor[8] prefix[155] (ustar) pad[12]
 *   offset 512  the entry's data, padded to a multiple of 512
 *   …           two zero blocks end the archive
 *
 * Every header's checksum is verified, every number parsed strictly (octal digits only), every entry's
 * data must lie inside the file, and the end-of-archive block must be there: a damaged or truncated file
 * is one SOUP_E_BUNDLE line naming the byte offset. Entry types: regular files (`0`, NUL), directories
 * (`5`), pax headers (`x`, keys `path` and `size` used); anything else (links, devices, GNU extensions,
 * global pax headers) is listed with its type for the caller to refuse.
 */
import { open, stat } from 'node:fs/promises';
import { SoupError } from '../../lib/errors.js';

const BLOCK = 512;
/** More entries than a bundle can reasonably hold: refused (bounds the work on a hostile file). */
export const MAX_ENTRIES = 10_000;
const MAX_PAX = 64 * 1024;

/** Random access to the bundle's bytes: a file, or a buffer in tests and fuzzing. */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset` (the caller keeps inside `size`). */
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export type EntryType = 'file' | 'directory' | 'other';

export interface TarEntry {
  name: string;
  type: EntryType;
  /** The typeflag as found, for messages (`2` symlink, `1` hard link…). */
  flag: string;
  size: number;
  /** Byte offset of the entry's data. */
  offset: number;
}

const fail = (message: string) => new SoupError('SOUP_E_BUNDLE', `bundle: ${message}`);
const damaged = (message: string) => fail(`not a readable tar file: ${message}`);

export async function fileSource(path: string): Promise<ByteSource> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // a FIFO or a device would block or never end: a bundle is a regular file
    if (!(await stat(path)).isFile()) throw fail(`${path} is not a regular file`);
    handle = await open(path, 'r');
  } catch (err) {
    if (err instanceof SoupError) throw err;
    throw fail(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const { size } = await handle.stat();
  return {
    size,
    read: async (offset, length) => {
      const buf = Buffer.alloc(length);
      let at = 0;
      while (at < length) {
        const { bytesRead } = await handle.read(buf, at, length - at, offset + at);
        if (bytesRead === 0) throw fail(`${path} ended at byte ${offset + at} while reading it`);
        at += bytesRead;
      }
      return buf;
    },
    close: () => handle.close(),
  };
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    size: buf.length,
    read: async (offset, length) => Buffer.from(buf.subarray(offset, offset + length)),
    close: async () => {},
  };
}

function text(block: Buffer, from: number, length: number): string {
  const field = block.subarray(from, from + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? length : end).toString('utf8');
}

function octal(block: Buffer, from: number, length: number, what: string, at: number): number {
  const raw = text(block, from, length).trim();
  if (!/^[0-7]{1,12}$/.test(raw)) throw damaged(`header at byte ${at}: ${what} is not an octal number`);
  return Number.parseInt(raw, 8);
}

function checksumOk(block: Buffer, at: number): boolean {
  const stored = octal(block, 148, 8, 'checksum', at);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  return sum === stored;
}

/** pax records `"<len> <key>=<value>\n"`; only `path` and `size` matter here. */
function parsePax(data: Buffer, at: number): { path?: string; size?: number } {
  const out: { path?: string; size?: number } = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    const len = space < 0 ? Number.NaN : Number(data.subarray(i, space).toString('latin1'));
    if (
      !Number.isSafeInteger(len) ||
      len <= space - i + 1 ||
      i + len > data.length ||
      data[i + len - 1] !== 0x0a
    )
      throw damaged(`pax header at byte ${at}: malformed record at byte ${at + i}`);
    const record = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq < 0) throw damaged(`pax header at byte ${at}: record without "="`);
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') out.path = value;
    else if (key === 'size') {
      if (!/^[0-9]{1,15}$/.test(value))
        throw damaged(`pax header at byte ${at}: size ${JSON.stringify(value)}`);
      out.size = Number(value);
    }
    i += len;
  }
  return out;
}

/** Lists every entry of the archive; throws SOUP_E_BUNDLE on any damage. */
export async function readTarIndex(source: ByteSource): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  let at = 0;
  let pax: { path?: string; size?: number } | undefined;
  for (;;) {
    if (at + BLOCK > source.size)
      throw damaged(`truncated: the archive ends at byte ${source.size} without its end-of-archive block`);
    const block = await source.read(at, BLOCK);
    if (block.every((b) => b === 0)) {
      if (pax !== undefined) throw damaged(`a pax header at the end of the archive describes no entry`);
      return entries;
    }
    if (!checksumOk(block, at)) throw damaged(`header at byte ${at}: checksum mismatch`);
    const flag = String.fromCharCode(block[156] as number);
    const ustar = block.subarray(257, 262).toString('latin1') === 'ustar';
    let name = text(block, 0, 100);
    if (ustar) {
      const prefix = text(block, 345, 155);
      if (prefix !== '') name = `${prefix}/${name}`;
    }
    let size = octal(block, 124, 12, 'size', at);
    const dataAt = at + BLOCK;
    if (flag === 'x') {
      if (size > MAX_PAX) throw damaged(`pax header at byte ${at} is larger than ${MAX_PAX} bytes`);
      if (dataAt + size > source.size) throw damaged(`truncated: pax header at byte ${at} runs past the end`);
      if (pax !== undefined) throw damaged(`two pax headers in a row at byte ${at}`);
      pax = parsePax(await source.read(dataAt, size), at);
      at = dataAt + Math.ceil(size / BLOCK) * BLOCK;
      continue;
    }
    if (pax?.path !== undefined) name = pax.path;
    if (pax?.size !== undefined) size = pax.size;
    pax = undefined;
    const type: EntryType = flag === '0' || flag === '\0' ? 'file' : flag === '5' ? 'directory' : 'other';
    if (type === 'file' && dataAt + size > source.size)
      throw damaged(
        `truncated: entry ${name} at byte ${at} declares ${size} bytes, the file ends at ${source.size}`,
      );
    entries.push({ name: name.replace(/^\.\//, ''), type, flag, size, offset: dataAt });
    if (entries.length > MAX_ENTRIES) throw damaged(`more than ${MAX_ENTRIES} entries`);
    // only regular files (and pax headers) carry data; other types' sizes are not trusted to skip by
    at = dataAt + (type === 'file' ? Math.ceil(size / BLOCK) * BLOCK : 0);
  }
}
