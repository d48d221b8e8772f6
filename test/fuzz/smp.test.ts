/**
 * Fuzzing SMP framing and CBOR decoding (`src/protocols/smp/`): the line decoder fed random bytes in
 * random chunks (console noise, markers and base64 mixed), valid packets split anywhere with noise
 * between them, and the message codec fed random and mutated messages. Nothing throws but a coded
 * error, the decoder's buffer stays bounded, and every valid packet comes through intact.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, responseError } from '../../src/protocols/smp/codec.js';
import { encodeFrames, FrameDecoder, MAX_FRAME_BYTES } from '../../src/protocols/smp/framing.js';
import { bounded, expectCoded, fuzz, mutated, textishBytes } from './invariants.js';

const CAP = 4096;
/** One line plus one packet of CAP bytes as base64, as the decoder documents. */
const BUFFER_BOUND = MAX_FRAME_BYTES + Math.ceil((CAP + 4) / 3) * 4 + 128;
const MARKERS = '\x06\x09\x04\x14\n';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';

function decodePacket(body: Uint8Array): void {
  const m = expectCoded(() => decodeMessage(body));
  if (!(m instanceof Error)) expectCoded(() => responseError(m.payload));
}

const header = fc.record({
  op: fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<0 | 1 | 2 | 3>,
  version: fc.constantFrom(0, 1),
  flags: fc.constant(0),
  group: fc.constantFrom(0, 1, 9, 64),
  seq: fc.integer({ min: 0, max: 255 }),
  id: fc.integer({ min: 0, max: 7 }),
});
const cborValue = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.integer(),
    fc.string({ maxLength: 12 }),
    fc.uint8Array({ maxLength: 64 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(
      fc.constantFrom('off', 'len', 'data', 'sha', 'rc', 'err', 'images', 'group', 'x'),
      tie('v'),
      {
        maxKeys: 5,
      },
    ),
  ),
})).v;
const payload = fc.dictionary(
  fc.constantFrom('off', 'len', 'data', 'sha', 'rc', 'err', 'images', 'r'),
  cborValue,
  {
    maxKeys: 5,
  },
);
const message = fc
  .tuple(header, payload, fc.boolean())
  .map(([h, p, indefinite]) => encodeMessage(h, p as Record<string, unknown>, { indefinite }));

/** Splits bytes into chunks at the given cut points. */
function chunks(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  return out;
}

describe('fuzz: SMP framing and CBOR', () => {
  it('random line bytes in random chunks: no throw, bounded buffer, packets decode or are refused with a code', async () => {
    const decoder = new FrameDecoder({ maxPacketBytes: CAP });
    await fuzz(
      'smp/random-lines',
      fc.property(fc.array(textishBytes(MARKERS + BASE64, 300), { maxLength: 8 }), (parts) => {
        bounded('FrameDecoder', () => {
          for (const part of parts) {
            for (const e of decoder.push(part)) if (e.kind === 'packet') decodePacket(e.body);
            expect(decoder.bufferedBytes).toBeLessThanOrEqual(BUFFER_BOUND);
          }
        });
      }),
    );
  }, 600_000);

  it('valid packets split anywhere, after noise and a mutated packet: each valid one arrives intact (resync)', async () => {
    const decoder = new FrameDecoder({ maxPacketBytes: CAP });
    await fuzz(
      'smp/resync',
      fc.property(
        message,
        message.chain((m) => mutated(encodeFrames(m))),
        textishBytes('abc \r\n', 40),
        fc.array(fc.nat(), { maxLength: 6 }),
        (good, bad, noise, cuts) => {
          bounded('FrameDecoder', () => {
            for (const e of decoder.push(bad)) if (e.kind === 'packet') decodePacket(e.body);
            // noise after a newline: a console line between packets
            decoder.push(Uint8Array.of(0x0a));
            decoder.push(noise.filter((b) => b !== 0x06 && b !== 0x04));
            const packets: Uint8Array[] = [];
            for (const part of chunks(Buffer.concat([Uint8Array.of(0x0a), encodeFrames(good)]), cuts))
              for (const e of decoder.push(part)) if (e.kind === 'packet') packets.push(e.body);
            expect(packets.map((p) => Buffer.from(p).toString('hex'))).toEqual([
              Buffer.from(good).toString('hex'),
            ]);
            const m = decodeMessage(packets[0]!);
            expect(m.header.length).toBe(good.length - 8);
            expect(decoder.bufferedBytes).toBe(0);
          });
        },
      ),
    );
  }, 600_000);

  it('random and mutated SMP messages: decodeMessage and responseError throw only coded errors', async () => {
    await fuzz(
      'smp/messages',
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          message.chain((m) => mutated(m)),
          // a consistent header over random CBOR bytes
          fc.tuple(header, fc.uint8Array({ minLength: 1, maxLength: 120 })).map(([h, body]) => {
            const m = Buffer.from(encodeMessage(h, {}).subarray(0, 8));
            m.writeUInt16BE(body.length, 2);
            return Buffer.concat([m, body]);
          }),
        ),
        (bytes) => bounded('decodeMessage', () => decodePacket(bytes)),
      ),
    );
  }, 600_000);
});
