/**
 * Fuzzing ISO-TP reassembly (`src/protocols/isotp/`): raw random CAN payloads through `decodePdu` into
 * the Reassembler, valid segmented messages interleaved with hostile frames, and the round trip
 * segment → encode → decode → reassemble. Nothing throws, no message exceeds `maxLength` or its
 * first frame's announced length, and a clean sequence after any garbage arrives intact.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePdu, encodePdu, type FrameSize } from '../../src/protocols/isotp/frames.js';
import { Reassembler, type RxEvent } from '../../src/protocols/isotp/reassembler.js';
import { segment } from '../../src/protocols/isotp/segmenter.js';
import { bounded, fuzz } from './invariants.js';

const MAX_LENGTH = 5000;
const frameSize = fc.constantFrom<FrameSize>(8, 64);
const options = fc.record({
  blockSize: fc.integer({ min: 0, max: 16 }),
  stMin: fc.integer({ min: 0, max: 255 }),
});

/** Feeds raw frames; checks every event; returns the messages. */
function feed(rx: Reassembler, frames: Uint8Array[], announced: { length: number | null }): Uint8Array[] {
  const messages: Uint8Array[] = [];
  for (const frame of frames) {
    const d = decodePdu(frame);
    if (!d.ok) {
      expect(typeof d.reason).toBe('string');
      continue;
    }
    if (d.pdu.type === 'first') announced.length = d.pdu.length;
    for (const e of rx.accept(d.pdu) as RxEvent[]) {
      if (e.kind === 'message') {
        expect(e.data.length).toBeGreaterThan(0);
        expect(e.data.length).toBeLessThanOrEqual(Math.max(MAX_LENGTH, 62));
        messages.push(e.data);
      }
      if (e.kind === 'error') expect(e.reason).not.toContain('\n');
    }
  }
  return messages;
}

describe('fuzz: ISO-TP reassembly', () => {
  it('random CAN payloads: decodePdu never throws, the reassembler never exceeds its bounds', async () => {
    await fuzz(
      'isotp/random-frames',
      fc.property(
        options,
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 64 }),
            // biased to ISO-TP's frame type nibbles so sequences get somewhere
            fc
              .tuple(
                fc.constantFrom(0x00, 0x10, 0x20, 0x21, 0x22, 0x30),
                fc.uint8Array({ minLength: 1, maxLength: 63 }),
              )
              .map(([pci, rest]) => Uint8Array.of(pci | (rest[0]! & 0x0f), ...rest.subarray(1))),
          ),
          { maxLength: 60 },
        ),
        (o, frames) => {
          bounded('reassembler', () => {
            const rx = new Reassembler({ ...o, maxLength: MAX_LENGTH });
            feed(rx, frames, { length: null });
            rx.abort('N_Cr');
            expect(rx.inProgress).toBe(false);
          });
        },
      ),
    );
  }, 600_000);

  it('a valid message after hostile frames arrives intact (segment → encode → decode → reassemble)', async () => {
    await fuzz(
      'isotp/roundtrip',
      fc.property(
        options,
        frameSize,
        fc.uint8Array({ minLength: 1, maxLength: MAX_LENGTH }),
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }),
        fc.option(fc.integer({ min: 0, max: 255 })),
        (o, size, message, garbage, padding) => {
          bounded('reassembler', () => {
            const rx = new Reassembler({ ...o, maxLength: MAX_LENGTH });
            feed(rx, garbage, { length: null });
            const frames = [...segment(message, size)].map((p) => encodePdu(p, size, padding ?? null));
            const announced = { length: null as number | null };
            const got = feed(rx, frames, announced);
            expect(got.length).toBe(1);
            expect(Buffer.from(got[0]!).equals(Buffer.from(message))).toBe(true);
          });
        },
      ),
    );
  }, 600_000);
});
