/**
 * A response body into the part file of a download (`download.ts`).
 *
 * Bytes fill the hasher's buffer (`hasher.ts`); a full buffer is written at its offset (awaited:
 * backpressure) and hashed while the write runs on libuv's thread pool (both only read it). The offset
 * advances once the write is done, so offset and hash cover exactly the bytes on disk; a failed write ends
 * the download with an I/O error, and a later resume re-reads the part file. A data sync runs in the
 * background every SYNC_EVERY bytes, so the final fsync is short and dirty pages do not pile up on a small
 * gateway. More bytes than declared is an Integrity fault; a broken connection keeps the bytes that
 * arrived before it and is a retryable Fault.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { SoupError } from '../../lib/errors.js';
import { Fault, faultText, Integrity } from './download-faults.js';
import type { IoStep, PartState } from './part-file.js';

const SYNC_EVERY = 32 * 1024 * 1024;

export interface BodyTarget {
  /** The part file, written in place from `part.offset`. */
  path: string;
  /** Declared size of the whole artifact. */
  size: number;
  io: IoStep;
  onProgress?: ((bytes: number, of: number) => void) | undefined;
}

/** Writes `body` at `part.offset`, advancing it (and the hash) as bytes reach the disk. */
export async function writeBody(
  body: AsyncIterable<Buffer>,
  part: PartState,
  target: BodyTarget,
): Promise<void> {
  const { io, size } = target;
  const fh = await io(part.offset, 'open the partial file', () => open(target.path, 'r+'));
  let buffer: Buffer | undefined;
  let filled = 0;
  let syncing: Promise<void> | undefined;
  let unsynced = 0;
  const flush = async () => {
    if (buffer === undefined || filled === 0) return;
    const full = buffer;
    const n = filled;
    buffer = undefined;
    filled = 0;
    const written = io(part.offset, 'write the partial file', () => writeAll(fh, full, n, part.offset));
    const hashed = io(part.offset, 'hash the received bytes', async () => part.hash.submit(full, n));
    await Promise.all([written, hashed]);
    part.offset += n;
    unsynced += n;
    if (unsynced >= SYNC_EVERY && syncing === undefined) {
      unsynced = 0;
      syncing = fh
        .datasync()
        .catch(() => undefined) // the final fsync reports what matters
        .finally(() => {
          syncing = undefined;
        });
    }
    target.onProgress?.(part.offset, size);
  };
  try {
    try {
      for await (const chunk of body) {
        if (part.offset + filled + chunk.length > size) {
          throw new Integrity(`the server sent more bytes than the declared ${size}`);
        }
        let used = 0;
        while (used < chunk.length) {
          buffer ??= await io(part.offset, 'hash the received bytes', () => part.hash.acquire());
          const n = chunk.copy(buffer, filled, used);
          filled += n;
          used += n;
          if (filled === buffer.length) await flush();
        }
      }
    } catch (err) {
      if (err instanceof Integrity || err instanceof SoupError) throw err;
      // Bytes that arrived before the fault are good: keep them for the resume.
      await flush();
      throw new Fault(`connection lost: ${faultText(err)}`);
    }
    await flush();
  } finally {
    await syncing;
    await fh.close().catch(() => undefined);
  }
}

async function writeAll(fh: FileHandle, bytes: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await fh.write(bytes, done, length - done, position + done);
    done += bytesWritten;
  }
}
