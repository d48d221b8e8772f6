import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import { MemoryCanBus } from '../../../src/protocols/buses/memory-bus.js';
import type { CanFrame, FrameBus } from '../../../src/protocols/buses/types.js';
import { IsoTpChannel, type IsoTpOptions } from '../../../src/protocols/isotp/channel.js';
import { decodePdu, encodePdu } from '../../../src/protocols/isotp/frames.js';

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
const settle = () => new Promise((r) => setImmediate(r));

function pair(a: Partial<IsoTpOptions> = {}, b: Partial<IsoTpOptions> = {}, clock = new ManualClock()) {
  const bus = new MemoryCanBus({ clock });
  const tap = bus.attach();
  const frames: CanFrame[] = [];
  tap.onFrame(
    () => true,
    (f) => frames.push(f),
  );
  const tx = new IsoTpChannel(bus.attach(), { txId: 0x7e0, rxId: 0x7e8, clock, ...a });
  const rx = new IsoTpChannel(bus.attach(), { txId: 0x7e8, rxId: 0x7e0, clock, maxLength: 100_000, ...b });
  return { bus, tx, rx, frames, clock };
}

const kinds = (frames: CanFrame[]) =>
  frames.map((f) => {
    const d = decodePdu(f.data);
    return d.ok ? `${f.id.toString(16)}:${d.pdu.type}` : 'bad';
  });

describe('ISO-TP channel', () => {
  it('carries a single frame', async () => {
    const { tx, rx, frames } = pair();
    const got = rx.receive(1000);
    await tx.send(Uint8Array.of(0x3e, 0x00));
    expect([...(await got)]).toEqual([0x3e, 0x00]);
    expect(kinds(frames)).toEqual(['7e0:single']);
  });

  it('carries a multi-frame message with the receiver asking for blocks (BS) and STmin', async () => {
    const { tx, rx, frames, clock } = pair({}, { blockSize: 4, stMin: 10 });
    const message = bytes(6 + 7 * 10);
    const got = rx.receive(60_000);
    const sent = tx.send(message);
    // the sender waits STmin (10 ms) between consecutive frames: drive the manual clock
    for (let i = 0; i < 40; i++) {
      await settle();
      clock.advance(10);
    }
    await sent;
    expect(Buffer.from(await got).equals(Buffer.from(message))).toBe(true);
    expect(kinds(frames)).toEqual([
      '7e0:first',
      '7e8:flow',
      '7e0:consecutive',
      '7e0:consecutive',
      '7e0:consecutive',
      '7e0:consecutive',
      '7e8:flow',
      '7e0:consecutive',
      '7e0:consecutive',
      '7e0:consecutive',
      '7e0:consecutive',
      '7e8:flow',
      '7e0:consecutive',
      '7e0:consecutive',
    ]);
  });

  it('does not send the next consecutive frame before STmin has passed', async () => {
    const { tx, rx, frames, clock } = pair({}, { stMin: 50 });
    void rx.receive(60_000);
    void tx.send(bytes(20));
    await settle();
    await settle();
    expect(kinds(frames)).toEqual(['7e0:first', '7e8:flow', '7e0:consecutive']);
    clock.advance(49);
    await settle();
    expect(frames.length).toBe(3);
    clock.advance(1);
    await settle();
    await settle();
    expect(frames.length).toBe(4);
  });

  it('as receiver sends flow control after every BS frames and honours a sender that keeps to it', async () => {
    const clock = new ManualClock();
    const bus = new MemoryCanBus({ clock });
    const peer = bus.attach();
    const fcs: CanFrame[] = [];
    peer.onFrame(
      (f) => f.id === 0x7e8,
      (f) => fcs.push(f),
    );
    const rx = new IsoTpChannel(bus.attach(), { txId: 0x7e8, rxId: 0x7e0, clock, blockSize: 2, stMin: 0xf5 });
    const got = rx.receive(10_000);
    const send = (pdu: Parameters<typeof encodePdu>[0]) =>
      peer.send({ id: 0x7e0, extended: false, fd: false, data: encodePdu(pdu, 8) });
    const msg = bytes(6 + 7 * 4);
    await send({ type: 'first', length: msg.length, data: msg.subarray(0, 6) });
    await settle();
    expect(fcs.map((f) => [...f.data.subarray(0, 3)])).toEqual([[0x30, 2, 0xf5]]);
    for (let i = 0; i < 4; i++) {
      await send({ type: 'consecutive', sn: i + 1, data: msg.subarray(6 + 7 * i, 13 + 7 * i) });
      await settle();
    }
    expect(fcs.length).toBe(2);
    expect(Buffer.from(await got).equals(Buffer.from(msg))).toBe(true);
  });

  it('waits through FC wait frames and fails on FC overflow', async () => {
    const clock = new ManualClock();
    const bus = new MemoryCanBus({ clock });
    const peer = bus.attach();
    const tx = new IsoTpChannel(bus.attach(), { txId: 0x7e0, rxId: 0x7e8, clock });
    const fc = (status: number) =>
      peer.send({ id: 0x7e8, extended: false, fd: false, data: Uint8Array.of(0x30 | status, 0, 0) });
    const sent = tx.send(bytes(20));
    await settle();
    await fc(1);
    await settle();
    clock.advance(900);
    await fc(1);
    await settle();
    clock.advance(900); // each wait frame restarts N_Bs
    await fc(0);
    await sent;
    const overflow = tx.send(bytes(20));
    await settle();
    await fc(2);
    await expect(overflow).rejects.toThrow(/overflow/);
  });

  it('times out after N_Bs without flow control', async () => {
    const { clock, bus } = pair();
    const tx = new IsoTpChannel(bus.attach(), { txId: 0x100, rxId: 0x101, clock, nBsMs: 1000 });
    const sent = tx.send(bytes(30)).catch((e: Error) => e);
    await settle();
    clock.advance(999);
    await settle();
    clock.advance(1);
    const err = await sent;
    expect(err).toMatchObject({ code: 'SOUP_E_MODULE_TIMEOUT' });
    expect((err as Error).message).toMatch(/N_Bs 1000 ms/);
  });

  it('drops a message whose consecutive frames stop for N_Cr, and one with a wrong sequence number', async () => {
    const clock = new ManualClock();
    const bus = new MemoryCanBus({ clock });
    const peer = bus.attach();
    const rx = new IsoTpChannel(bus.attach(), { txId: 0x7e8, rxId: 0x7e0, clock, nCrMs: 1000 });
    const send = (data: Uint8Array) => peer.send({ id: 0x7e0, extended: false, fd: false, data });
    await send(encodePdu({ type: 'first', length: 20, data: bytes(6) }, 8));
    await settle();
    expect(rx.receiving).toBe(true);
    clock.advance(1000);
    await settle();
    expect(rx.receiving).toBe(false);
    expect(rx.rxErrors).toEqual(['no consecutive frame within N_Cr 1000 ms']);
    await send(encodePdu({ type: 'first', length: 20, data: bytes(6) }, 8));
    await send(encodePdu({ type: 'consecutive', sn: 2, data: bytes(7) }, 8));
    await settle();
    expect(rx.rxErrors[1]).toBe('consecutive frame 2, expected 1');
  });

  it('answers an oversized first frame with overflow', async () => {
    const { tx } = pair({}, { maxLength: 100 });
    await expect(tx.send(bytes(200))).rejects.toThrow(/overflow/);
  });

  it('carries long messages with a 32-bit first frame over CAN FD and 29-bit ids', async () => {
    const clock = new ManualClock();
    const bus = new MemoryCanBus({ clock });
    const opts = { extended: true, fd: true, clock };
    const tx = new IsoTpChannel(bus.attach(), { txId: 0x18da10f1, rxId: 0x18daf110, ...opts });
    const rx = new IsoTpChannel(bus.attach(), {
      txId: 0x18daf110,
      rxId: 0x18da10f1,
      maxLength: 10_000,
      ...opts,
    });
    const frames: CanFrame[] = [];
    bus.attach().onFrame(
      () => true,
      (f) => frames.push(f),
    );
    // an 11-bit channel on the same number must not hear the 29-bit frames
    const other = new IsoTpChannel(bus.attach(), { txId: 1, rxId: 0x18da10f1, clock, fd: true });
    let overheard = 0;
    other.onMessage(() => overheard++);
    const msg = bytes(5000);
    const got = rx.receive(10_000);
    await tx.send(msg);
    expect(Buffer.from(await got).equals(Buffer.from(msg))).toBe(true);
    expect(frames[0]!.data.length).toBe(64);
    expect([...frames[0]!.data.subarray(0, 6)]).toEqual([0x10, 0, 0, 0, 0x13, 0x88]);
    expect(frames.every((f) => f.extended && f.fd)).toBe(true);
    expect(overheard).toBe(0);
    expect(other.receiving).toBe(false);
  });

  it('refuses CAN FD on a classic bus', () => {
    const classic: FrameBus = new MemoryCanBus({ fd: false }).attach();
    expect(() => new IsoTpChannel(classic, { txId: 1, rxId: 2, fd: true })).toThrow(/CAN FD/);
  });

  it('times out a receive when nothing comes', async () => {
    const { rx, clock } = pair();
    const got = rx.receive(50).catch((e: Error) => e);
    await settle();
    clock.advance(50);
    expect(await got).toMatchObject({ code: 'SOUP_E_MODULE_TIMEOUT' });
  });
});

describe('ISO-TP sender and a receiver that is slow with its flow control', () => {
  /** A scripted receiver: records every frame the sender sends, answers with flow control only when told. */
  function slowReceiver() {
    const clock = new ManualClock();
    const bus = new MemoryCanBus({ clock });
    const peer = bus.attach();
    const log: string[] = [];
    peer.onFrame(
      (f) => f.id === 0x7e0,
      (f) => {
        const d = decodePdu(f.data);
        log.push(d.ok ? d.pdu.type : 'bad');
      },
    );
    const tx = new IsoTpChannel(bus.attach(), { txId: 0x7e0, rxId: 0x7e8, clock, nBsMs: 1000 });
    const flowControl = async (blockSize: number) => {
      log.push(`FC bs=${blockSize}`);
      await peer.send({
        id: 0x7e8,
        extended: false,
        fd: false,
        data: encodePdu({ type: 'flow', status: 'continue', blockSize, stMin: 0 }, 8),
      });
    };
    return { clock, tx, log, flowControl };
  }

  /** Lets every frame and timer callback that is due run: the manual clock does not move meanwhile. */
  const drain = async () => {
    for (let i = 0; i < 20; i++) await settle();
  };

  it('sends no consecutive frame beyond the block size until the next flow control, however long that takes', async () => {
    const { clock, tx, log, flowControl } = slowReceiver();
    const message = bytes(6 + 7 * 5); // FF + 5 CF
    const sent = tx.send(message);
    let done = false;
    void sent.then(() => {
      done = true;
    });
    await drain();
    expect(log).toEqual(['first']);
    await flowControl(2);
    await drain();
    expect(log).toEqual(['first', 'FC bs=2', 'consecutive', 'consecutive']);
    // the receiver takes its time (within N_Bs): the sender is waiting for it, with STmin 0 long past
    clock.advance(600);
    await drain();
    clock.advance(300);
    await drain();
    expect(log).toEqual(['first', 'FC bs=2', 'consecutive', 'consecutive']);
    expect(done).toBe(false);
    await flowControl(2);
    await drain();
    clock.advance(900);
    await drain();
    expect(log.slice(4)).toEqual(['FC bs=2', 'consecutive', 'consecutive']);
    expect(done).toBe(false);
    await flowControl(0);
    await sent;
    expect(log).toEqual([
      'first',
      'FC bs=2',
      'consecutive',
      'consecutive',
      'FC bs=2',
      'consecutive',
      'consecutive',
      'FC bs=0',
      'consecutive',
    ]);
  });

  it('fails with N_Bs when the flow control after a block never comes', async () => {
    const { clock, tx, log, flowControl } = slowReceiver();
    const sent = tx.send(bytes(6 + 7 * 5)).catch((e: Error) => e);
    await drain();
    await flowControl(2);
    await drain();
    clock.advance(999);
    await drain();
    expect(log).toEqual(['first', 'FC bs=2', 'consecutive', 'consecutive']);
    clock.advance(1);
    const err = await sent;
    expect(err).toMatchObject({ code: 'SOUP_E_MODULE_TIMEOUT' });
    expect((err as Error).message).toMatch(/no flow control within N_Bs 1000 ms/);
    expect(log).toEqual(['first', 'FC bs=2', 'consecutive', 'consecutive']);
  });
});
