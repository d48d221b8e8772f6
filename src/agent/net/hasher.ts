/**
 * SHA-256 over a stream through one reused buffer.
 *
 * The caller takes the buffer (`acquire`), fills it, then `submit`s it: its bytes are hashed at once and the
 * buffer is the caller's again. One buffer for the whole download, so a download of any size churns no
 * large allocations (which glibc would keep as resident memory).
 *
 * Hashing runs on the main thread, while the buffer's write runs on libuv's thread pool (`write-body.ts`).
 * A worker thread did it before: it costs 17–20 MiB of resident memory (a second V8 isolate and Node
 * environment), a fifth of the agent's budget, for no measurable gain in a whole update's download phase
 * (docs/footprint.md).
 */
import { createHash } from 'node:crypto';

export interface StreamHasher {
  /** Size of the buffer. */
  readonly bufferSize: number;
  /** The buffer to fill. */
  acquire(): Promise<Buffer>;
  /** Hashes bytes [0, length) of the buffer from `acquire`. */
  submit(buffer: Buffer, length: number): void;
  /** Hex digest of everything submitted; the hasher is finished afterwards. */
  digest(): Promise<string>;
}

export const BUFFER_SIZE = 1024 * 1024;

export function streamHasher(bufferSize = BUFFER_SIZE): StreamHasher {
  const hash = createHash('sha256');
  let buffer: Buffer | undefined;
  return {
    bufferSize,
    acquire: async () => {
      buffer ??= Buffer.allocUnsafeSlow(bufferSize);
      return buffer;
    },
    submit: (b, length) => {
      hash.update(b.subarray(0, length));
    },
    digest: async () => hash.digest('hex'),
  };
}
