/**
 * The partial file of a download (`download.ts`) and its metadata.
 *
 * `<dest>.part` holds the bytes received so far; `<dest>.part.json` holds `{size, sha256, validator}`
 * where the validator is the strong ETag (else Last-Modified) of the response that started the part file.
 * On resume the part file is re-read and hashed, never taken on trust; finishing fsyncs it, renames it to
 * `dest` and fsyncs the folder.
 */
import { open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StreamHasher } from './hasher.js';

export interface PartState {
  offset: number;
  /** Hash of exactly the part file's bytes [0, offset). */
  hash: StreamHasher;
  validator: string | undefined;
}

interface PartMeta {
  size: number;
  sha256: string;
  validator?: string;
}

/** Runs a file-system step at a byte offset; its failure becomes the caller's I/O error. */
export type IoStep = <T>(at: number, what: string, step: () => Promise<T>) => Promise<T>;

export class PartFile {
  readonly path: string;
  private readonly metaPath: string;

  constructor(
    private readonly dest: string,
    private readonly size: number,
    private readonly sha256: string,
    private readonly io: IoStep,
  ) {
    this.path = `${dest}.part`;
    this.metaPath = `${dest}.part.json`;
  }

  /**
   * The part file as the resume point, its bytes re-read into `hash`; undefined when there is none, or
   * when it is not the declared artifact's (no matching metadata, longer than declared): discard it then.
   */
  async rebuild(newHasher: () => StreamHasher): Promise<PartState | undefined> {
    const size = await stat(this.path).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) {
      await unlink(this.metaPath).catch(ignoreMissing);
      return undefined;
    }
    const meta = await readMeta(this.metaPath);
    if (
      meta === undefined ||
      meta.size !== this.size ||
      meta.sha256.toLowerCase() !== this.sha256.toLowerCase() ||
      size > this.size
    ) {
      return undefined;
    }
    const hash = newHasher();
    let offset = 0;
    await this.io(0, 're-read the partial file', async () => {
      const fh = await open(this.path, 'r');
      try {
        for (;;) {
          const buffer = await hash.acquire();
          const { bytesRead } = await fh.read(buffer, 0, buffer.length, offset);
          hash.submit(buffer, bytesRead);
          offset += bytesRead;
          if (bytesRead === 0) break;
        }
      } finally {
        await fh.close();
      }
    });
    return { offset, hash, validator: meta.validator };
  }

  async discard(): Promise<void> {
    await this.io(0, 'delete the partial file', async () => {
      await unlink(this.path).catch(ignoreMissing);
      await unlink(this.metaPath).catch(ignoreMissing);
    });
  }

  /** An empty part file, with the metadata of the response that starts it. */
  async start(validator: string | undefined): Promise<void> {
    const meta: PartMeta = {
      size: this.size,
      sha256: this.sha256.toLowerCase(),
      ...(validator ? { validator } : {}),
    };
    await this.io(0, 'write the partial file', async () => {
      await writeFile(this.path, '');
      await writeFile(this.metaPath, JSON.stringify(meta));
    });
  }

  /** fsync, rename to dest, drop the metadata, fsync the folder. */
  async finish(at: number): Promise<void> {
    await this.io(at, 'finish the file', async () => {
      const fh = await open(this.path, 'a');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(this.path, this.dest);
      await unlink(this.metaPath).catch(ignoreMissing);
      await syncFolder(dirname(this.dest));
    });
  }
}

/** A validator usable in If-Range: a strong ETag, else Last-Modified (RFC 9110 §13.1.5). */
export function validatorOf(etag: string | undefined, lastModified: string | undefined): string | undefined {
  if (etag !== undefined && !etag.startsWith('W/')) return etag;
  return lastModified;
}

async function syncFolder(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function readMeta(path: string): Promise<PartMeta | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<PartMeta>;
    if (typeof parsed.size !== 'number' || typeof parsed.sha256 !== 'string') return undefined;
    if (parsed.validator !== undefined && typeof parsed.validator !== 'string') return undefined;
    return {
      size: parsed.size,
      sha256: parsed.sha256,
      ...(parsed.validator ? { validator: parsed.validator } : {}),
    };
  } catch {
    return undefined;
  }
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}
