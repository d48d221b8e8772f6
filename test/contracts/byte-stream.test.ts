/** One contract for every ByteStream: the serial port over a real pty, and the in-memory twin. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStreamPair } from '../../src/protocols/buses/memory-stream.js';
import { openSerialPort } from '../../src/protocols/buses/serial.js';
import type { ByteStream } from '../../src/protocols/buses/types.js';
import { createPtyPair } from '../../src/simulate/pty.js';

interface Pair {
  a: ByteStream;
  b: ByteStream;
  dispose(): Promise<void>;
}

const implementations: [string, () => Promise<Pair>][] = [
  [
    'serial port over a socat pty',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'soup-bs-'));
      const pty = await createPtyPair(join(dir, 'tty'));
      const a = await openSerialPort(pty.linkPath, 115200);
      const b = await openSerialPort(pty.peerPath, 115200);
      return {
        a,
        b,
        async dispose() {
          await a.close();
          await b.close();
          await pty.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'in-memory twin',
    async () => {
      const [a, b] = createMemoryStreamPair();
      return {
        a,
        b,
        async dispose() {
          await a.close();
          await b.close();
        },
      };
    },
  ],
];

function collect(stream: ByteStream, bytes: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const off = stream.onData((chunk) => {
      chunks.push(Buffer.from(chunk));
      n += chunk.length;
      if (n >= bytes) {
        off();
        resolve(Buffer.concat(chunks));
      }
    });
  });
}

describe.each(implementations)('ByteStream contract: %s', (_name, open) => {
  let pair: Pair | undefined;
  afterEach(async () => {
    await pair?.dispose();
    pair = undefined;
  });

  it('carries every byte value both ways, in order, across many writes', async () => {
    pair = await open();
    const payload = Buffer.alloc(20_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + 3) & 0xff;
    const received = collect(pair.b, payload.length);
    for (let off = 0; off < payload.length; off += 1000)
      await pair.a.write(payload.subarray(off, off + 1000));
    expect((await received).equals(payload)).toBe(true);
    const back = collect(pair.a, 4);
    await pair.b.write(Uint8Array.of(0x06, 0x09, 0x0a, 0x00));
    expect([...(await back)]).toEqual([0x06, 0x09, 0x0a, 0x00]);
  });

  it('stops delivering to an unsubscribed listener', async () => {
    pair = await open();
    const seen: number[] = [];
    const off = pair.b.onData((c) => seen.push(...c));
    const done = collect(pair.b, 1);
    await pair.a.write(Uint8Array.of(1));
    await done;
    off();
    const later = collect(pair.b, 1);
    await pair.a.write(Uint8Array.of(2));
    await later;
    expect(seen).toEqual([1]);
  });

  it('closes once, without an error on a local close, and then refuses writes', async () => {
    pair = await open();
    const closes: (Error | undefined)[] = [];
    pair.a.onClose((err) => closes.push(err));
    expect(pair.a.isOpen).toBe(true);
    await pair.a.close();
    await pair.a.close();
    expect(pair.a.isOpen).toBe(false);
    expect(closes).toEqual([undefined]);
    await expect(pair.a.write(Uint8Array.of(1))).rejects.toThrow(/closed/);
  });
});
