/**
 * Shared file work for the local handlers: streaming copy with fsync, SHA-256 re-read, durable rename.
 * Hashing lives here, not in each handler (STYLE 7). Nothing holds a whole image in memory.
 */
import { createHash } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SoupError } from '../lib/errors.js';

const CHUNK = 1 << 16;
const HASH_CHUNK = 1 << 18;

/** SHA-256 (hex) of the first `length` bytes of `path` (all of it when omitted); SOUP_E_CANCELLED on abort. */
export async function sha256OfFile(path: string, length?: number, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const limit = length ?? Number.POSITIVE_INFINITY;
  // one buffer for the whole file: a fresh buffer per read (a read stream) is garbage the young
  // generation frees only when it next fills, and a fast re-read of an image piles them up as resident memory
  const buf = Buffer.allocUnsafeSlow(HASH_CHUNK);
  let read = 0;
  const fh = await open(path, 'r');
  try {
    while (read < limit) {
      if (signal?.aborted) throw new SoupError('SOUP_E_CANCELLED', `reading ${path} was interrupted`);
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, limit - read), read);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      read += bytesRead;
    }
  } catch (err) {
    if (signal?.aborted && !(err instanceof SoupError))
      throw new SoupError('SOUP_E_CANCELLED', `reading ${path} was interrupted`);
    throw err;
  } finally {
    await fh.close();
  }
  if (length !== undefined && read !== length) {
    throw new SoupError('SOUP_E_IO', `${path}: holds ${read} bytes, expected ${length}`);
  }
  return hash.digest('hex');
}

export interface CopyOptions {
  /** Open the target for writing in place (block devices) instead of creating/truncating it. */
  inPlace?: boolean;
  signal?: AbortSignal;
  onProgress?: (cnt: number, of: number) => void;
}

/** Streams `source` into `target` and fsyncs it before resolving; throws SOUP_E_CANCELLED on abort. */
export async function copyFileDurably(
  source: string,
  target: string,
  size: number,
  options: CopyOptions = {},
): Promise<void> {
  const input = await open(source, 'r');
  let output: Awaited<ReturnType<typeof open>>;
  try {
    output = await open(target, options.inPlace ? 'r+' : 'w', 0o644);
  } catch (err) {
    await input.close();
    throw new SoupError(
      'SOUP_E_IO',
      `${target}: cannot open for writing (${(err as NodeJS.ErrnoException).code})`,
      { cause: err },
    );
  }
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let offset = 0;
    while (offset < size) {
      if (options.signal?.aborted)
        throw new SoupError('SOUP_E_CANCELLED', `writing ${target} was interrupted`);
      const { bytesRead } = await input.read(buf, 0, Math.min(CHUNK, size - offset), offset);
      if (bytesRead === 0)
        throw new SoupError('SOUP_E_IO', `${source}: ended at byte ${offset}, expected ${size}`);
      let written = 0;
      while (written < bytesRead) {
        const r = await output.write(buf, written, bytesRead - written, offset + written);
        written += r.bytesWritten;
      }
      offset += bytesRead;
      options.onProgress?.(offset, size);
    }
    await output.sync();
  } catch (err) {
    if (err instanceof SoupError) throw err;
    throw new SoupError(
      'SOUP_E_IO',
      `${target}: write failed (${(err as NodeJS.ErrnoException).code ?? oneWord(err)})`,
      {
        cause: err,
        retryable: true,
      },
    );
  } finally {
    await output.close();
    await input.close();
  }
}

function oneWord(err: unknown): string {
  return err instanceof Error ? (err.message.split('\n')[0] ?? 'error') : String(err);
}

/** fsync of a directory, so a rename or unlink in it is durable. */
export async function syncDir(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Renames and makes the rename durable. */
export async function renameDurably(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncDir(dirname(to));
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
