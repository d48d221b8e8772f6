/**
 * SHA-256 over a stream, with a fixed pool of buffers, inline or in a worker thread.
 *
 * The caller takes a buffer (`acquire`), fills it, writes it to disk, then `submit`s it: its bytes are
 * hashed in submission order and the buffer returns to the pool. The pool is allocated once, so a download
 * of any size churns no large allocations (which glibc would keep as resident memory), and memory is
 * bounded by the pool: `acquire` waits while every buffer is still being hashed.
 *
 * The worker variant lets the main thread receive and write while another core hashes (like
 * `curl | sha256sum`): a submitted buffer's memory moves to the worker (transfer, no copy) and comes back
 * with the acknowledgement.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

export interface StreamHasher {
  /** Size of each pool buffer. */
  readonly bufferSize: number;
  /** A buffer to fill; waits until one is free. */
  acquire(): Promise<Buffer>;
  /** Hashes bytes [0, length) of a buffer from `acquire`; the buffer must not be touched afterwards. */
  submit(buffer: Buffer, length: number): void;
  /** Hex digest of everything submitted; the hasher is finished afterwards. */
  digest(): Promise<string>;
  /** Releases the worker, if any (idempotent). */
  close(): Promise<void>;
}

export const BUFFER_SIZE = 1024 * 1024;
const WORKER_POOL = 4;

export function inlineHasher(bufferSize = BUFFER_SIZE): StreamHasher {
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
    close: async () => undefined,
  };
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
parentPort.on('message', (m) => {
  if (m.type === 'update') {
    hash.update(new Uint8Array(m.bytes, 0, m.length));
    parentPort.postMessage({ type: 'ack', bytes: m.bytes }, [m.bytes]);
  } else {
    parentPort.postMessage({ type: 'digest', hex: hash.digest('hex') });
  }
});
`;

type Reply = { type: 'ack'; bytes: ArrayBuffer } | { type: 'digest'; hex: string };

export function workerHasher(bufferSize = BUFFER_SIZE): StreamHasher {
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  const free: Buffer[] = Array.from({ length: WORKER_POOL }, () => Buffer.allocUnsafeSlow(bufferSize));
  const waiting: ((b: Buffer) => void)[] = [];
  let failure: Error | undefined;
  let closed = false;
  let onDigest: ((hex: string) => void) | undefined;
  let onFailure: ((err: Error) => void) | undefined;
  const failWaiters: ((err: Error) => void)[] = [];

  worker.on('message', (reply: Reply) => {
    if (reply.type === 'ack') {
      const buffer = Buffer.from(reply.bytes);
      const next = waiting.shift();
      failWaiters.shift();
      if (next) next(buffer);
      else free.push(buffer);
    } else {
      onDigest?.(reply.hex);
    }
  });
  const fail = (err: Error) => {
    failure ??= err;
    waiting.length = 0;
    for (const reject of failWaiters.splice(0)) reject(err);
    onFailure?.(err);
  };
  worker.on('error', fail);
  worker.on('exit', () => fail(new Error('the hashing worker exited')));

  const usable = (): Error | undefined => (closed ? new Error('the hashing worker is closed') : failure);

  return {
    bufferSize,
    acquire() {
      const err = usable();
      if (err) return Promise.reject(err);
      const buffer = free.pop();
      if (buffer) return Promise.resolve(buffer);
      return new Promise<Buffer>((resolve, reject) => {
        waiting.push(resolve);
        failWaiters.push(reject);
      });
    },
    submit(buffer, length) {
      const err = usable();
      if (err) throw err;
      const bytes = buffer.buffer as ArrayBuffer;
      worker.postMessage({ type: 'update', bytes, length }, [bytes]);
    },
    digest() {
      const err = usable();
      if (err) return Promise.reject(err);
      return new Promise<string>((resolve, reject) => {
        onDigest = resolve;
        onFailure = reject;
        worker.postMessage({ type: 'digest' });
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await worker.terminate();
    },
  };
}
