/**
 * The FrameBus contract: every implementation passes the same suite. Here: the in-memory bus, and
 * SLCAN over a real pseudo-terminal (host SlcanBus ↔ socat pty ↔ simulated adapter ↔ simulated wire).
 * SocketCAN joins when TEST_SOCKETCAN names an interface that is up (`vcan0`, `can0`): two raw
 * sockets on it hear each other through the kernel's local loopback. CI kernels have no CAN.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCanBus } from '../../src/protocols/buses/memory-bus.js';
import { openSerialPort } from '../../src/protocols/buses/serial.js';
import { openSlcanBus } from '../../src/protocols/buses/slcan.js';
import { openSocketCan } from '../../src/protocols/buses/socketcan.js';
import type { CanFrame, FrameBus } from '../../src/protocols/buses/types.js';
import { createPtyPair } from '../../src/simulate/pty.js';
import { startSlcanAdapter } from '../../src/simulate/uds/slcan-adapter.js';

interface Pair {
  a: FrameBus;
  b: FrameBus;
  close(): Promise<void>;
}

const implementations: [string, () => Promise<Pair>][] = [
  [
    'memory bus',
    async () => {
      const bus = new MemoryCanBus({ fd: false });
      const a = bus.attach();
      const b = bus.attach();
      return { a, b, close: async () => Promise.all([a.close(), b.close()]).then(() => {}) };
    },
  ],
  [
    'SLCAN over a pty',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'soup-slcan-'));
      const pty = await createPtyPair(join(dir, 'ttyCAN'));
      const wire = new MemoryCanBus({ bitrate: 1_000_000, fd: false });
      const adapterStream = await openSerialPort(pty.peerPath, 115200);
      const adapter = startSlcanAdapter(adapterStream, wire.attach());
      const a = await openSlcanBus(await openSerialPort(pty.linkPath, 115200), { bitrate: 1_000_000 });
      const b = wire.attach();
      return {
        a,
        b,
        close: async () => {
          await a.close();
          await b.close();
          adapter.close();
          await adapterStream.close();
          await pty.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  ],
];

const socketCanIface = process.env.TEST_SOCKETCAN;
if (socketCanIface)
  implementations.push([
    `SocketCAN ${socketCanIface}`,
    async () => {
      const a = await openSocketCan(socketCanIface);
      const b = await openSocketCan(socketCanIface);
      return { a, b, close: async () => Promise.all([a.close(), b.close()]).then(() => {}) };
    },
  ]);

function collect(
  bus: FrameBus,
  n: number,
  filter: (f: CanFrame) => boolean = () => true,
): Promise<CanFrame[]> {
  return new Promise((resolve) => {
    const got: CanFrame[] = [];
    const off = bus.onFrame(filter, (f) => {
      got.push(f);
      if (got.length === n) {
        off();
        resolve(got);
      }
    });
  });
}

const frame = (id: number, data: number[], extended = false): CanFrame => ({
  id,
  extended,
  fd: false,
  data: Uint8Array.from(data),
});

describe.each(implementations)('FrameBus contract: %s', (_name, make) => {
  let pair: Pair | undefined;
  afterEach(async () => {
    await pair?.close();
    pair = undefined;
  });

  it('carries standard and extended frames of 0–8 bytes both ways, intact', async () => {
    pair = await make();
    const { a, b } = pair;
    const sent = [
      frame(0x7e0, []),
      frame(0x7e0, [1]),
      frame(0x000, [0, 0xff, 0x80, 0x7f, 0x55, 0xaa, 1, 2]),
      frame(0x7ff, [9, 8, 7]),
      frame(0x18daf110, [0x02, 0x3e, 0x00], true),
      frame(0x1fffffff, [0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3], true),
    ];
    const atB = collect(b, sent.length);
    for (const f of sent) await a.send(f);
    expect(await atB).toEqual(sent);
    const atA = collect(a, sent.length);
    for (const f of sent) await b.send(f);
    expect(await atA).toEqual(sent);
  });

  it('keeps order in a burst and delivers only what passes the filter', async () => {
    pair = await make();
    const { a, b } = pair;
    const odd = collect(b, 100, (f) => f.id === 0x101);
    const all = collect(b, 200);
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) sends.push(a.send(frame(0x100 + (i % 2), [i & 0xff, i >> 8])));
    await Promise.all(sends);
    const got = await all;
    expect(got.map((f) => f.data[0]! | (f.data[1]! << 8))).toEqual([...Array(200).keys()]);
    expect((await odd).every((f) => f.id === 0x101)).toBe(true);
  });

  it('stops delivering after unsubscribe, and a sender does not hear itself', async () => {
    pair = await make();
    const { a, b } = pair;
    let heardByA = 0;
    a.onFrame(
      () => true,
      () => heardByA++,
    );
    let afterOff = 0;
    const off = b.onFrame(
      () => true,
      () => afterOff++,
    );
    off();
    const marker = collect(b, 2);
    await a.send(frame(0x123, [1]));
    await a.send(frame(0x124, [2]));
    await marker;
    expect(afterOff).toBe(0);
    expect(heardByA).toBe(0);
  });

  it('refuses CAN FD frames when the bus is classic, and sends after close', async () => {
    pair = await make();
    const { a } = pair;
    expect(a.supportsFd).toBe(false);
    await expect(a.send({ id: 1, extended: false, fd: true, data: new Uint8Array(12) })).rejects.toThrow(
      /FD/,
    );
    await a.close();
    await expect(a.send(frame(1, [1]))).rejects.toThrow(/closed/);
  });
});
