/** ISO-TP codecs under random and mutated input (seeded, bounded): no crash, bounded buffers. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import { MemoryCanBus } from '../../../src/protocols/buses/memory-bus.js';
import { IsoTpChannel } from '../../../src/protocols/isotp/channel.js';
import { decodePdu, encodePdu, type FrameSize } from '../../../src/protocols/isotp/frames.js';
import { Reassembler } from '../../../src/protocols/isotp/reassembler.js';
import { segment } from '../../../src/protocols/isotp/segmenter.js';
import { prng } from '../../helpers/prng.js';

const SEED = 0x150157;

describe('ISO-TP fuzz', () => {
  it('decodes 50,000 random frames without throwing, fields within range', () => {
    const r = prng(SEED);
    for (let i = 0; i < 50_000; i++) {
      const frame = r.bytes(r.int(65));
      const d = decodePdu(frame);
      if (!d.ok) continue;
      const pdu = d.pdu;
      switch (pdu.type) {
        case 'single':
          expect(pdu.data.length).toBeGreaterThan(0);
          expect(pdu.data.length).toBeLessThanOrEqual(62);
          break;
        case 'first':
          expect(pdu.length).toBeGreaterThanOrEqual(8);
          expect(pdu.data.length).toBeLessThan(frame.length);
          break;
        case 'consecutive':
          expect(pdu.sn).toBeLessThan(16);
          break;
        case 'flow':
          expect(['continue', 'wait', 'overflow']).toContain(pdu.status);
          break;
      }
    }
  });

  it('reassembles mutated frame sequences without throwing and never beyond maxLength', () => {
    const r = prng(SEED + 1);
    const maxLength = 5000;
    let completed = 0;
    for (let round = 0; round < 400; round++) {
      const frameSize: FrameSize = r.int(2) ? 8 : 64;
      const message = r.bytes(1 + r.int(6000));
      const frames = [...segment(message, frameSize)].map((p) => encodePdu(p, frameSize));
      const mutate = round % 4 !== 0;
      if (mutate) {
        for (let m = 0; m < 1 + r.int(4) && frames.length > 0; m++) {
          const k = r.int(frames.length);
          switch (r.int(4)) {
            case 0:
              frames[k]![r.int(frames[k]!.length)] = r.int(256);
              break;
            case 1:
              frames.splice(k, 1);
              break;
            case 2:
              frames.splice(k, 0, frames[k]!);
              break;
            default:
              frames.splice(k, 0, r.bytes(r.int(65)));
          }
        }
      }
      const rx = new Reassembler({ blockSize: r.int(4), stMin: 0, maxLength });
      const messages: Uint8Array[] = [];
      for (const f of frames) {
        const d = decodePdu(f);
        if (!d.ok) continue;
        for (const e of rx.accept(d.pdu)) if (e.kind === 'message') messages.push(e.data);
      }
      for (const m of messages) expect(m.length).toBeLessThanOrEqual(maxLength);
      if (!mutate && message.length <= maxLength) {
        expect(messages.length).toBe(1);
        expect(Buffer.from(messages[0]!).equals(Buffer.from(message))).toBe(true);
        completed++;
      }
    }
    expect(completed).toBeGreaterThan(50);
  });

  it('keeps a channel bounded under a flood of random frames', async () => {
    const r = prng(SEED + 2);
    const clock = new ManualClock();
    const bus = new MemoryCanBus({ clock });
    const noise = bus.attach();
    const rx = new IsoTpChannel(bus.attach(), { txId: 0x7e8, rxId: 0x7e0, clock, maxLength: 4095 });
    for (let i = 0; i < 20_000; i++) {
      const data = r.bytes(1 + r.int(8));
      if (i % 3 === 0) data[0] = (data[0]! & 0x0f) | 0x20; // many consecutive frames
      await noise.send({ id: 0x7e0, extended: false, fd: false, data });
      if (i % 500 === 0) clock.advance(1500);
    }
    expect(rx.rxErrors.length).toBeLessThanOrEqual(32);
    expect(rx.rxErrorCount).toBeGreaterThan(0);
    // the queue keeps at most the newest 16 messages; reading drains it
    let read = 0;
    for (;;) {
      const got = await Promise.race([rx.receive(0), Promise.resolve(null)]).catch(() => null);
      if (!got) break;
      read++;
      if (read > 100) break;
    }
    expect(read).toBeLessThanOrEqual(16);
  });
});
