import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import { frameBits } from '../../../src/protocols/buses/frame-timing.js';
import { MemoryCanBus } from '../../../src/protocols/buses/memory-bus.js';
import type { CanFrame } from '../../../src/protocols/buses/types.js';

const frame = (n: number, extended = false): CanFrame => ({
  id: 0x123,
  extended,
  fd: false,
  data: new Uint8Array(n),
});
const settle = () => new Promise((r) => setImmediate(r));

describe('frame timing', () => {
  it('counts 111 bits for a classic 8-byte standard frame and 131 for an extended one', () => {
    expect(frameBits(frame(8))).toBe(111);
    expect(frameBits(frame(0))).toBe(47);
    expect(frameBits(frame(8, true))).toBe(131);
  });
});

describe('MemoryCanBus pacing', () => {
  it('delivers frames at their bit time, queued on one wire', async () => {
    const clock = new ManualClock(0);
    const bus = new MemoryCanBus({ bitrate: 111_000, clock }); // 1 ms per 8-byte frame
    const a = bus.attach();
    const b = bus.attach();
    const got: number[] = [];
    b.onFrame(
      () => true,
      () => got.push(clock.now()),
    );
    const sends = [a.send(frame(8)), a.send(frame(8)), b.send(frame(8)), a.send(frame(8))];
    await settle();
    expect(got).toEqual([]);
    for (let t = 1; t <= 4; t++) {
      clock.advance(1);
      await settle();
    }
    await Promise.all(sends);
    // b does not hear its own frame: 3 frames, at 1, 2 and 4 ms (b's frame took the wire at 3 ms)
    expect(got).toEqual([1, 2, 4]);
  });

  it('rejects oversize frames, FD on a classic bus, and sends after close', async () => {
    const bus = new MemoryCanBus({ fd: false });
    const a = bus.attach();
    await expect(a.send(frame(9))).rejects.toThrow(/exceed 8/);
    await expect(a.send({ ...frame(8), fd: true })).rejects.toThrow(/CAN FD/);
    await a.close();
    await expect(a.send(frame(1))).rejects.toThrow(/closed/);
  });
});
