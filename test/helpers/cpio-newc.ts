/**
 * A minimal cpio "newc" (SVR4, magic 070701) writer: the container format of an SWUpdate `.swu` file.
 * Test fixture builder only. Each entry is a 110-byte ASCII header (magic + 13 fields of 8 hex digits:
 * ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check),
 * the NUL-terminated name padded to 4 bytes, then the data padded to 4 bytes; the archive ends with the
 * entry `TRAILER!!!`. SWUpdate requires `sw-description` to be the first entry.
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';

export interface CpioEntry {
  /** Name inside the archive. */
  name: string;
  /** Path of the file whose bytes become the entry. */
  path: string;
}

const REGULAR_FILE = 0o100644;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function header(ino: number, name: string, size: number, mode: number): Buffer {
  const fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, Buffer.byteLength(name) + 1, 0];
  const head = Buffer.from(`070701${fields.map(hex8).join('')}${name}\0`, 'latin1');
  return Buffer.concat([head, pad(head.length)]);
}

function pad(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

async function* archive(entries: CpioEntry[]): AsyncGenerator<Buffer> {
  let ino = 1;
  for (const e of entries) {
    const size = statSync(e.path).size;
    yield header(ino++, e.name, size, REGULAR_FILE);
    for await (const chunk of createReadStream(e.path)) yield chunk as Buffer;
    yield pad(size);
  }
  yield header(0, 'TRAILER!!!', 0, 0);
}

/** Streams `entries` (in order) into a newc archive at `out`. */
export async function writeCpioNewc(out: string, entries: CpioEntry[]): Promise<void> {
  await pipeline(archive(entries), createWriteStream(out));
}
