import { describe, expect, it } from 'vitest';
import { decodePdu, encodePdu, msToStMin, stMinToMs } from '../../../src/protocols/isotp/frames.js';
import { frameCount, segment } from '../../../src/protocols/isotp/segmenter.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (n: number, start = 0) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

describe('ISO-TP frame codec', () => {
  it('encodes and decodes a classic single frame with padding', () => {
    const f = encodePdu({ type: 'single', data: Uint8Array.of(0x22, 0xf1, 0x89) }, 8);
    expect(hex(f)).toBe('0322f189cccccccc');
    expect(decodePdu(f)).toEqual({
      ok: true,
      pdu: { type: 'single', data: Uint8Array.of(0x22, 0xf1, 0x89) },
    });
    expect(hex(encodePdu({ type: 'single', data: Uint8Array.of(1) }, 8, null))).toBe('0101');
  });

  it('uses the single-frame length escape in CAN FD frames and pads to a valid FD length', () => {
    const data = bytes(20);
    const f = encodePdu({ type: 'single', data }, 64);
    expect(f.length).toBe(24);
    expect([f[0], f[1]]).toEqual([0x00, 20]);
    expect(decodePdu(f)).toEqual({ ok: true, pdu: { type: 'single', data } });
    expect(decodePdu(Uint8Array.of(0x05, ...bytes(11)))).toMatchObject({ ok: false });
    expect(() => encodePdu({ type: 'single', data: bytes(63) }, 64)).toThrow(RangeError);
    expect(() => encodePdu({ type: 'single', data: bytes(8) }, 8)).toThrow(RangeError);
  });

  it('encodes 12-bit and 32-bit (escape) first-frame lengths', () => {
    const ff12 = encodePdu({ type: 'first', length: 4095, data: bytes(6) }, 8);
    expect(hex(ff12)).toBe('1fff000102030405');
    expect(decodePdu(ff12)).toMatchObject({ ok: true, pdu: { type: 'first', length: 4095 } });
    const ff32 = encodePdu({ type: 'first', length: 70000, data: bytes(2) }, 8);
    expect(hex(ff32)).toBe('1000000111700001');
    expect(decodePdu(ff32)).toEqual({ ok: true, pdu: { type: 'first', length: 70000, data: bytes(2) } });
    // an escaped length that fits 12 bits, or a length that fits one frame, is not a first frame
    expect(decodePdu(Uint8Array.of(0x10, 0, 0, 0, 0x0f, 0xff, 0, 0))).toMatchObject({ ok: false });
    expect(decodePdu(Uint8Array.of(0x10, 0x05, 1, 2, 3, 4, 5, 6))).toMatchObject({ ok: false });
  });

  it('encodes consecutive and flow-control frames', () => {
    expect(hex(encodePdu({ type: 'consecutive', sn: 17, data: bytes(3) }, 8))).toBe('21000102cccccccc');
    const fc = encodePdu({ type: 'flow', status: 'wait', blockSize: 8, stMin: 0xf3 }, 8);
    expect(hex(fc)).toBe('3108f3cccccccccc');
    expect(decodePdu(fc)).toEqual({
      ok: true,
      pdu: { type: 'flow', status: 'wait', blockSize: 8, stMin: 0xf3 },
    });
    expect(decodePdu(Uint8Array.of(0x32, 0, 0))).toMatchObject({ ok: true, pdu: { status: 'overflow' } });
    expect(decodePdu(Uint8Array.of(0x34, 0, 0))).toMatchObject({ ok: false });
    expect(decodePdu(Uint8Array.of(0x45))).toMatchObject({ ok: false });
    expect(decodePdu(new Uint8Array(0))).toMatchObject({ ok: false });
  });

  it('maps STmin bytes to times and back', () => {
    expect(stMinToMs(0)).toBe(0);
    expect(stMinToMs(0x7f)).toBe(127);
    expect(stMinToMs(0xf1)).toBeCloseTo(0.1);
    expect(stMinToMs(0xf9)).toBeCloseTo(0.9);
    expect(stMinToMs(0x80)).toBe(127);
    expect(stMinToMs(0xfa)).toBe(127);
    expect(msToStMin(0.25)).toBe(0xf3);
    expect(msToStMin(5)).toBe(5);
    expect(msToStMin(500)).toBe(0x7f);
  });

  it('segments into SF, FF + CFs with wrapping sequence numbers', () => {
    expect([...segment(bytes(7), 8)].map((p) => p.type)).toEqual(['single']);
    const pdus = [...segment(bytes(6 + 7 * 16 + 1), 8)];
    expect(pdus.length).toBe(frameCount(6 + 7 * 16 + 1, 8));
    expect(pdus[0]).toMatchObject({ type: 'first', length: 119 });
    const sns = pdus.slice(1).map((p) => (p.type === 'consecutive' ? p.sn : -1));
    expect(sns).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1]);
    const fd = [...segment(bytes(5000), 64)];
    expect(fd[0]).toMatchObject({ type: 'first', length: 5000 });
    expect(fd[0]!.type === 'first' && fd[0]!.data.length).toBe(58);
    expect(frameCount(5000, 64)).toBe(fd.length);
  });
});
