/**
 * SHA-256 over a stream of buffers, inline or in a worker thread. Owner: agent-net.
 *
 * The worker variant lets the main thread receive and write while another core hashes (like
 * `curl | sha256sum`). Buffers handed to `update` are transferred to the worker (zero copy) and must not be
 * used afterwards. At most `MAX_IN_FLIGHT` bytes wait for the worker: `update` resolves once the queue is
 * below that, so memory stays bounded whatever the hashing speed. Updates are hashed in call order.
 */
import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

export interface StreamHasher {
  /** Adds bytes (ownership passes to the hasher); resolves when more may be sent. */
  update(bytes: Buffer): Promise<void>;
  /** Hex digest of everything added; the hasher is finished afterwards. */
  digest(): Promise<string>;
  /** Releases the worker, if any (idempotent). */
  close(): Promise<void>;
}

const MAX_IN_FLIGHT = 8 * 1024 * 1024;

export function inlineHasher(): StreamHasher {
  const hash: Hash = createHash('sha256');
  return {
    update: async (bytes) => {
      hash.update(bytes);
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
    hash.update(new Uint8Array(m.bytes));
    parentPort.postMessage({ type: 'ack', n: m.bytes.byteLength });
  } else {
    parentPort.postMessage({ type: 'digest', hex: hash.digest('hex') });
  }
});
`;

type Reply = { type: 'ack'; n: number } | { type: 'digest'; hex: string };

export function workerHasher(): StreamHasher {
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  let inFlight = 0;
  let failure: Error | undefined;
  let closed = false;
  const drained: (() => void)[] = [];
  let onDigest: ((hex: string) => void) | undefined;
  let onFailure: ((err: Error) => void) | undefined;
  const wakeAll = () => {
    for (const w of drained.splice(0)) w();
  };
  worker.on('message', (reply: Reply) => {
    if (reply.type === 'ack') {
      inFlight -= reply.n;
      if (inFlight <= MAX_IN_FLIGHT) wakeAll();
    } else {
      onDigest?.(reply.hex);
    }
  });
  const fail = (err: Error) => {
    failure ??= err;
    wakeAll();
    onFailure?.(err);
  };
  worker.on('error', fail);
  worker.on('exit', () => {
    if (!closed) fail(new Error('the hashing worker exited'));
  });
  worker.unref();

  return {
    async update(bytes) {
      if (closed) throw new Error('the hashing worker is closed');
      if (failure) throw failure;
      // A dedicated ArrayBuffer can move to the worker; a slice of a shared pool is copied first.
      const own: Uint8Array =
        bytes.byteOffset === 0 &&
        bytes.byteLength === bytes.buffer.byteLength &&
        bytes.buffer instanceof ArrayBuffer
          ? bytes
          : new Uint8Array(bytes);
      inFlight += own.byteLength;
      const buffer = own.buffer as ArrayBuffer;
      worker.postMessage({ type: 'update', bytes: buffer }, [buffer]);
      while (inFlight > MAX_IN_FLIGHT && !failure) await new Promise<void>((r) => drained.push(r));
      if (failure) throw failure;
    },
    digest() {
      if (closed) return Promise.reject(new Error('the hashing worker is closed'));
      if (failure) return Promise.reject(failure);
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
