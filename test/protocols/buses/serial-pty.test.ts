import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSerialPort } from '../../../src/protocols/buses/serial.js';
import type { ByteStream } from '../../../src/protocols/buses/types.js';
import { createPtyPair, type PtyPair } from '../../../src/simulate/pty.js';

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

describe('serial ByteStream over a socat pseudo-terminal pair', () => {
  let pair: PtyPair | undefined;
  let dir = '';
  const streams: ByteStream[] = [];

  afterEach(async () => {
    for (const s of streams.splice(0)) await s.close();
    await pair?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('carries every byte value both ways, in order', async () => {
    dir = await mkdtemp(join(tmpdir(), 'soup-pty-'));
    pair = await createPtyPair(join(dir, 'ttySIM0'));
    const a = await openSerialPort(pair.linkPath, 115200);
    const b = await openSerialPort(pair.peerPath, 115200);
    streams.push(a, b);
    const payload = Buffer.alloc(64 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
    const received = collect(b, payload.length);
    await a.write(payload);
    expect((await received).equals(payload)).toBe(true);
    const back = collect(a, 3);
    await b.write(Uint8Array.of(0x00, 0x0a, 0xff));
    expect([...(await back)]).toEqual([0x00, 0x0a, 0xff]);
  });

  it('reports a clear error for a missing device and when writing after close', async () => {
    await expect(openSerialPort('/nonexistent/ttyNOPE', 9600)).rejects.toThrow(
      /serial \/nonexistent\/ttyNOPE/,
    );
    dir = await mkdtemp(join(tmpdir(), 'soup-pty-'));
    pair = await createPtyPair(join(dir, 'ttySIM1'));
    const a = await openSerialPort(pair.linkPath, 9600);
    await a.close();
    expect(a.isOpen).toBe(false);
    await expect(a.write(Uint8Array.of(1))).rejects.toThrow(/is closed/);
  });
});
