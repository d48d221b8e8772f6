/**
 * Seeded fuzzing (bounded iterations) of the framing, the codec, the client's receive path and the
 * simulator's request handling: random and mutated input never crashes anything, errors are SoupError,
 * and the reassembly buffer stays bounded and resyncs on the next start frame.
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/lib/clock.js';
import { SoupError } from '../../../src/lib/errors.js';
import { createMemoryStreamPair } from '../../../src/protocols/buses/memory-stream.js';
import { SmpClient } from '../../../src/protocols/smp/client.js';
import { decodeMessage, encodeMessage, responseError } from '../../../src/protocols/smp/codec.js';
import { encodeFrames, FrameDecoder, MAX_FRAME_BYTES } from '../../../src/protocols/smp/framing.js';
import type { SmpHeader } from '../../../src/protocols/smp/header.js';
import { SmpDevice } from '../../../src/simulate/smp/device.js';
import { prng } from '../../helpers/prng.js';

const { next: rnd, int, bytes: randomBytes } = prng(0x5eed);

function randomValue(depth = 0): unknown {
  switch (int(depth > 2 ? 5 : 8)) {
    case 0:
      return int(1 << 20) - 1000;
    case 1:
      return String.fromCharCode(...randomBytes(int(12)).map((b) => 32 + (b % 90)));
    case 2:
      return Buffer.from(randomBytes(int(64)));
    case 3:
      return rnd() < 0.5;
    case 4:
      return null;
    case 5:
      return Array.from({ length: int(4) }, () => randomValue(depth + 1));
    default: {
      const keys = [
        'off',
        'len',
        'data',
        'sha',
        'hash',
        'confirm',
        'images',
        'rc',
        'err',
        'd',
        'image',
        'slot',
        'x',
      ];
      const o: Record<string, unknown> = {};
      for (let i = int(5); i > 0; i--) o[keys[int(keys.length)]!] = randomValue(depth + 1);
      return o;
    }
  }
}

function mutate(bytes: Uint8Array): Uint8Array {
  const b = Array.from(bytes);
  for (let i = 1 + int(4); i > 0; i--) {
    const at = int(b.length + 1);
    switch (int(5)) {
      case 0:
        if (b.length) b[at % b.length] = (b[at % b.length]! ^ (1 << int(8))) & 0xff;
        break;
      case 1:
        b.splice(at, 0, int(256));
        break;
      case 2:
        b.splice(at, 1 + int(10));
        break;
      case 3:
        b.splice(at, 0, ...b.slice(int(b.length), int(b.length) + 20));
        break;
      default:
        b.length = Math.min(b.length, at);
    }
  }
  return Uint8Array.from(b);
}

const header = (): Omit<SmpHeader, 'length'> => ({
  op: int(4) as 0 | 1 | 2 | 3,
  version: int(2),
  flags: 0,
  group: [0, 1, 64, 9][int(4)]!,
  seq: int(256),
  id: int(8),
});

function expectOnlySoupErrors(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SoupError);
  }
}

describe('SMP fuzzing (seeded, bounded)', () => {
  it('random bytes in random chunks: no crash, bounded buffer', () => {
    const cap = 4096;
    const decoder = new FrameDecoder({ maxPacketBytes: cap });
    const bound = MAX_FRAME_BYTES + Math.ceil((cap + 4) / 3) * 4 + 128;
    let maxSeen = 0;
    for (let i = 0; i < 3000; i++) {
      // bias towards marker bytes and base64 text so frames actually start
      const chunk = randomBytes(1 + int(300)).map((x) =>
        x < 20 ? [0x06, 0x09, 0x04, 0x14, 0x0a][x % 5]! : x < 160 ? 'AQIDBAUGBwgJ+/='.charCodeAt(x % 15) : x,
      );
      for (const e of decoder.push(chunk))
        if (e.kind === 'packet') expectOnlySoupErrors(() => decodeMessage(e.body));
      maxSeen = Math.max(maxSeen, decoder.bufferedBytes);
    }
    expect(maxSeen).toBeLessThanOrEqual(bound);
    const good = encodeMessage({ op: 1, version: 1, flags: 0, group: 0, seq: 1, id: 0 }, { r: 'ok' });
    const events = decoder.push(Buffer.concat([Buffer.from([0x0a]), encodeFrames(good)]));
    expect(events.filter((e) => e.kind === 'packet')).toEqual([
      { kind: 'packet', body: new Uint8Array(good) },
    ]);
  });

  it('mutated valid frames: no crash, and the next valid frame always decodes (resync)', () => {
    const decoder = new FrameDecoder();
    for (let i = 0; i < 1500; i++) {
      const body = encodeMessage(header(), randomValue(0) as Record<string, unknown>, {
        indefinite: rnd() < 0.3,
      });
      const bad = mutate(encodeFrames(body));
      for (const e of decoder.push(bad)) {
        if (e.kind !== 'packet') continue;
        expectOnlySoupErrors(() => {
          const m = decodeMessage(e.body);
          responseError(m.payload);
        });
      }
      const good = encodeMessage(header(), { n: i });
      const after = decoder.push(encodeFrames(good)).filter((e) => e.kind === 'packet');
      expect(after.at(-1)).toEqual({ kind: 'packet', body: new Uint8Array(good) });
      expect(decoder.bufferedBytes).toBe(0);
    }
  });

  it('random CBOR payloads and bytes: the codec only throws SoupError', () => {
    for (let i = 0; i < 3000; i++) {
      const h = Buffer.from(encodeMessage(header(), {}).subarray(0, 8));
      const payload =
        rnd() < 0.5
          ? randomBytes(int(80))
          : mutate(encodeMessage(header(), { v: randomValue() }).subarray(8));
      h.writeUInt16BE(payload.length, 2);
      expectOnlySoupErrors(() => {
        const m = decodeMessage(Buffer.concat([h, payload]));
        responseError(m.payload);
      });
    }
  });

  it('the simulated module answers random requests without throwing', () => {
    const device = new SmpDevice({
      name: 'fuzz',
      mode: 'application',
      attributes: {},
      slotSize: 65536,
      bufSize: 512,
      image: '1.0.0',
    });
    const recovery = new SmpDevice({ ...device.config, mode: 'serial-recovery' });
    for (let i = 0; i < 3000; i++) {
      const h = { ...header(), length: 0 };
      const payload = randomValue(0);
      const req = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload : {};
      for (const d of [device, recovery]) {
        const answer = d.handle(h, req as Record<string, unknown>);
        expect(typeof answer.payload).toBe('object');
        if (answer.reset) d.boot(() => rnd() < 0.2);
      }
    }
    expect(device.slots[0]).toBeDefined();
  });

  it('a client fed mutated answers either gets an answer or fails with a SoupError', async () => {
    const [agent, module] = createMemoryStreamPair();
    const decoder = new FrameDecoder();
    module.onData((chunk) => {
      for (const e of decoder.push(chunk)) {
        if (e.kind !== 'packet') continue;
        const m = decodeMessage(e.body);
        const h = { ...m.header, op: (m.header.op + 1) as 1 | 3 };
        const answer = encodeFrames(encodeMessage(h, { r: 'x', images: [randomValue(1)], off: int(100) }));
        void module.write(rnd() < 0.5 ? mutate(answer) : answer);
      }
    });
    const client = new SmpClient(agent, { clock: systemClock, timeoutMs: 5, retries: 1 });
    let answered = 0;
    for (let i = 0; i < 150; i++) {
      try {
        if (i % 2) await client.echo('x');
        else await client.imageState();
        answered++;
      } catch (err) {
        expect(err).toBeInstanceOf(SoupError);
      }
    }
    expect(answered).toBeGreaterThan(0);
  });
});
