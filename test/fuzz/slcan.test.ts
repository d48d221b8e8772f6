/**
 * Fuzzing SLCAN decoding (`src/protocols/buses/slcan.ts` and its codec): an open SlcanBus fed random
 * adapter bytes in random chunks, then valid frame lines (which must arrive intact: the line splitter
 * resyncs at CR), and `open()` against an adapter that answers garbage (opens or fails with a coded
 * error, never hangs). Every frame handed to listeners is a well-formed classic CAN frame.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStreamPair } from '../../src/protocols/buses/memory-stream.js';
import { SlcanBus } from '../../src/protocols/buses/slcan.js';
import { encodeFrameLine, MAX_LINE, parseLine } from '../../src/protocols/buses/slcan-codec.js';
import type { ByteStream, CanFrame } from '../../src/protocols/buses/types.js';
import { assertCoded, boundedAsync, FUZZ_RUNS, fuzz, textishBytes } from './invariants.js';

const tick = () => new Promise((r) => setImmediate(r));
const LINE_BYTES = 'tT0123456789abcdefABCDEFzZ\r\x07\nVN';

const frame: fc.Arbitrary<CanFrame> = fc.boolean().chain((extended) =>
  fc.record({
    id: fc.integer({ min: 0, max: extended ? 0x1fffffff : 0x7ff }),
    extended: fc.constant(extended),
    fd: fc.constant(false),
    data: fc.uint8Array({ maxLength: 8 }),
  }),
);

function wellFormed(f: CanFrame): void {
  expect(f.fd).toBe(false);
  expect(f.data.length).toBeLessThanOrEqual(8);
  expect(Number.isInteger(f.id) && f.id >= 0 && f.id <= (f.extended ? 0x1fffffff : 0x7ff)).toBe(true);
}

/** An adapter end that answers every command line with CR (as a real one does). */
function ackingAdapter(adapter: ByteStream): void {
  adapter.onData((chunk) => {
    const n = Buffer.from(chunk).toString('latin1').split('\r').length - 1;
    if (n > 0) void adapter.write(new Uint8Array(n).fill(0x0d));
  });
}

describe('fuzz: SLCAN decoding', () => {
  const [agentEnd, adapter] = createMemoryStreamPair('slcan fuzz');
  const bus = new SlcanBus(agentEnd, { bitrate: 500_000, pace: false });
  const received: CanFrame[] = [];

  beforeAll(async () => {
    ackingAdapter(adapter);
    await bus.open();
    bus.onFrame(
      () => true,
      (f) => received.push(f),
    );
  });
  afterAll(async () => {
    await bus.close();
  });

  it('random adapter bytes, then valid frame lines: garbage never throws, valid frames arrive intact', async () => {
    await fuzz(
      'slcan/bus',
      fc.asyncProperty(
        fc.array(textishBytes(LINE_BYTES, 120), { maxLength: 6 }),
        fc.array(frame, { maxLength: 4 }),
        async (garbage, frames) => {
          await boundedAsync(
            'SlcanBus',
            (async () => {
              received.length = 0;
              for (const g of garbage) await adapter.write(g);
              await tick();
              for (const f of received) wellFormed(f);
              received.length = 0;
              // CR ends whatever line the garbage left open (or the over-long line being discarded)
              await adapter.write(Buffer.from(`\r${frames.map(encodeFrameLine).join('')}`, 'latin1'));
              await tick();
              expect(received.map(hex)).toEqual(frames.map(hex));
            })(),
          );
        },
      ),
    );
    expect(bus.stats.framesIn).toBeGreaterThan(0);
    expect(bus.isClosed).toBe(false);
  }, 600_000);

  it('the encoder and the line codec agree: any frame round-trips, lines never exceed MAX_LINE', async () => {
    await fuzz(
      'slcan/line-roundtrip',
      fc.property(frame, (f) => {
        const line = encodeFrameLine(f);
        expect(line.endsWith('\r')).toBe(true);
        expect(line.length).toBeLessThanOrEqual(MAX_LINE + 1);
        const parsed = parseLine(line.slice(0, -1));
        expect(parsed.kind === 'frame' ? hex(parsed.frame) : parsed.kind).toBe(hex(f));
      }),
    );
  }, 600_000);

  it('open() against an adapter answering garbage: opens or fails with a coded error, never hangs', async () => {
    await fuzz(
      'slcan/open',
      fc.asyncProperty(fc.array(textishBytes('\r\x07zZ01tT', 12), { maxLength: 5 }), async (answers) => {
        const [a, b] = createMemoryStreamPair('slcan open fuzz');
        let i = 0;
        b.onData(() => {
          const answer = answers[i++];
          if (answer !== undefined) void b.write(answer);
        });
        const hostile = new SlcanBus(a, { bitrate: 500_000, pace: false, commandTimeoutMs: 20 });
        try {
          await boundedAsync('SlcanBus.open', hostile.open());
        } catch (err) {
          assertCoded(err);
        } finally {
          await hostile.close();
        }
      }),
      Math.max(50, Math.ceil(FUZZ_RUNS / 20)),
    );
  }, 600_000);
});

function hex(f: CanFrame): string {
  return `${f.extended ? 'x' : 's'}${f.id.toString(16)}:${Buffer.from(f.data).toString('hex')}`;
}
