import { describe, expect, it } from 'vitest';
import {
  crc16xmodem,
  encodeFrames,
  FrameDecoder,
  lineBytesFor,
  MAX_FRAME_BYTES,
} from '../../../src/protocols/smp/framing.js';

function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function splitLines(line: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === 0x0a) {
      out.push(line.subarray(start, i + 1));
      start = i + 1;
    }
  }
  return out;
}

describe('SMP serial framing', () => {
  it('computes CRC-16/XMODEM (check value of "123456789" is 0x31c3)', () => {
    expect(crc16xmodem(Buffer.from('123456789'))).toBe(0x31c3);
  });

  it('cuts packets into frames of at most 127 bytes with start and continuation markers', () => {
    for (const n of [0, 1, 8, 88, 89, 90, 500, 2048, 5000]) {
      const body = bytes(n, n + 1);
      const line = encodeFrames(body);
      expect(line.length).toBe(lineBytesFor(n));
      const frames = splitLines(line);
      expect(frames.reduce((a, f) => a + f.length, 0)).toBe(line.length);
      frames.forEach((f, i) => {
        expect(f.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
        expect([f[0], f[1]]).toEqual(i === 0 ? [0x06, 0x09] : [0x04, 0x14]);
      });
      const text = Buffer.concat(frames.map((f) => Buffer.from(f.subarray(2, f.length - 1)))).toString(
        'latin1',
      );
      const packet = Buffer.from(text, 'base64');
      expect(packet.readUInt16BE(0)).toBe(n + 2);
      expect(packet.readUInt16BE(packet.length - 2)).toBe(crc16xmodem(body));
      const decoded = new FrameDecoder().push(line);
      expect(decoded).toEqual([{ kind: 'packet', body }]);
    }
  });

  it('reassembles packets from byte-by-byte input with console noise between them', () => {
    const a = bytes(300, 7);
    const b = bytes(20, 9);
    const stream = Buffer.concat([
      Buffer.from('boot: hello\r\n'),
      encodeFrames(a),
      Buffer.from('log line\n'),
      encodeFrames(b),
    ]);
    const decoder = new FrameDecoder();
    const packets: Uint8Array[] = [];
    for (const byte of stream) {
      for (const e of decoder.push(Uint8Array.of(byte))) if (e.kind === 'packet') packets.push(e.body);
    }
    expect(packets).toEqual([a, b]);
  });

  it('drops a packet with a bad CRC and a cut packet, and resyncs on the next start frame', () => {
    const good = bytes(200, 3);
    const bad = Buffer.from(encodeFrames(bytes(50, 4)));
    bad[10] = bad[10] === 0x41 ? 0x42 : 0x41; // change one base64 character
    const cut = encodeFrames(bytes(400, 5)).subarray(0, 140); // first frame and a bit
    const decoder = new FrameDecoder();
    const events = decoder.push(Buffer.concat([bad, cut, encodeFrames(good)]));
    expect(events.filter((e) => e.kind === 'packet')).toEqual([{ kind: 'packet', body: good }]);
    expect(events.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.reason : ''))).toEqual(
      ['packet CRC mismatch', 'frame interrupted by a new start frame'],
    );
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('refuses packets whose length field exceeds the cap', () => {
    const decoder = new FrameDecoder({ maxPacketBytes: 100 });
    const events = decoder.push(encodeFrames(bytes(500, 6)));
    expect(events[0]).toEqual({ kind: 'error', reason: 'packet length 502 outside 2..100' });
    expect(events.some((e) => e.kind === 'packet')).toBe(false);
    expect(decoder.push(encodeFrames(bytes(10, 6)))).toEqual([{ kind: 'packet', body: bytes(10, 6) }]);
  });

  it('a start frame whose base64 holds one byte (no length field) is dropped, not a RangeError', () => {
    const decoder = new FrameDecoder();
    const events = decoder.push(Buffer.from('\x06\x09MA==\n'));
    expect(events).toEqual([{ kind: 'error', reason: 'frame too short for the packet length field' }]);
    expect(decoder.push(encodeFrames(bytes(10, 7)))).toEqual([{ kind: 'packet', body: bytes(10, 7) }]);
    expect(decoder.bufferedBytes).toBe(0);
  });
});
