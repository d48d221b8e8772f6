/**
 * A response body, read ahead of its consumer into recycled slabs (`request.ts`).
 *
 * Read ahead: up to READ_AHEAD bytes, then the socket stops being read (TCP flow control slows the sender)
 * until the consumer is below LOW_WATER. Bytes read ahead are delivered before an error that follows them:
 * when a connection is reset the kernel drops what was not read, and what was read still reaches the part
 * file, so a resume starts after it. Listening starts with the response head, so nothing that happens
 * before the consumer's first read (the end, a reset) is missed. The idle timer runs only while the consumer
 * waits for a chunk.
 *
 * Slabs: each chunk Node's parser hands out is a fresh buffer. Copied at once into one of a few recycled
 * 256 KiB slabs, it is garbage before any young-generation collection can find it alive; kept in a queue
 * instead, a chunk could live through two collections, be promoted to the old generation and stay resident
 * until a full collection (measured: an update's peak of 83 MiB became 95–109 MiB when collections came
 * more often than the read-ahead drained; docs/footprint.md). The consumer gets views into the slabs, each
 * valid until it asks for the next chunk. Received bytes pace young-generation collections (`scavenge.ts`).
 */
import type { IncomingMessage } from 'node:http';
import { noteReceived } from './scavenge.js';
import { HttpTimeout } from './timeout.js';

const READ_AHEAD = 1024 * 1024;
const LOW_WATER = 256 * 1024;
const SLAB = 256 * 1024;
const KEEP_FREE_SLABS = 6;

interface Slab {
  buf: Buffer;
  /** Bytes received into the slab. */
  write: number;
  /** Bytes handed to the consumer. */
  read: number;
}

export interface BodyReader {
  /** The body, chunk by chunk (iterate once); each chunk is valid until the next step. */
  chunks: AsyncGenerator<Buffer>;
  /** Ends the body with `err` after the bytes already read ahead. */
  stop(err: Error): void;
}

export function readBody(res: IncomingMessage, idleMs: number, abort: (err: Error) => void): BodyReader {
  const slabs: Slab[] = [];
  const freeSlabs: Buffer[] = [];
  // a small body (an Install API document) gets a slab of its own size
  const declared = Number(res.headers['content-length']);
  const slabSize = Number.isSafeInteger(declared) && declared > 0 && declared < SLAB ? declared : SLAB;
  let queued = 0;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const stop = (err: Error) => {
    failure ??= err;
    notify();
  };
  res.on('data', (chunk: Buffer) => {
    for (let at = 0; at < chunk.length; ) {
      let tail = slabs.at(-1);
      if (tail === undefined || tail.write === tail.buf.length) {
        tail = { buf: freeSlabs.pop() ?? Buffer.allocUnsafeSlow(slabSize), write: 0, read: 0 };
        slabs.push(tail);
      }
      const n = chunk.copy(tail.buf, tail.write, at);
      tail.write += n;
      at += n;
    }
    queued += chunk.length;
    noteReceived(chunk.length);
    if (queued >= READ_AHEAD) res.pause();
    notify();
  });
  res.once('end', () => {
    ended = true;
    notify();
  });
  res.once('error', stop);
  res.once('close', () => {
    if (!res.complete) stop(new Error('the connection closed before the body was complete'));
    notify();
  });

  async function* chunks(): AsyncGenerator<Buffer> {
    let finished = false;
    let done: Buffer | undefined;
    try {
      for (;;) {
        // the consumer is through with the previous view: its slab may be reused
        if (done !== undefined && freeSlabs.length < KEEP_FREE_SLABS) freeSlabs.push(done);
        done = undefined;
        const head = slabs[0];
        if (head !== undefined && head.read < head.write) {
          const view = head.buf.subarray(head.read, head.write);
          head.read = head.write;
          queued -= view.length;
          if (head.read === head.buf.length) {
            slabs.shift();
            done = head.buf;
          }
          if (res.isPaused() && queued <= LOW_WATER) res.resume();
          yield view;
          continue;
        }
        if (failure !== undefined) throw failure;
        if (ended) {
          finished = true;
          return;
        }
        const timer = setTimeout(() => abort(new HttpTimeout(`no body byte within ${idleMs} ms`)), idleMs);
        await new Promise<void>((r) => {
          wake = r;
        });
        clearTimeout(timer);
      }
    } finally {
      // left early: the rest of the body is not wanted, nor is the connection it would arrive on
      if (!finished) abort(new Error('body not consumed'));
    }
  }
  return { chunks: chunks(), stop };
}
