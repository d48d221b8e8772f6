import { describe, expect, it } from 'vitest';
import {
  bitrateCommand,
  encodeFrameLine,
  MAX_LINE,
  parseLine,
  SlcanLineSplitter,
} from '../../../src/protocols/buses/slcan-codec.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('SLCAN codec', () => {
  it('encodes standard and extended frames, ending with a bare CR', () => {
    expect(
      encodeFrameLine({ id: 0x7e0, extended: false, fd: false, data: Uint8Array.of(0x02, 0x10, 0xab) }),
    ).toBe('t7E03021 0AB\r'.replace(' ', ''));
    expect(encodeFrameLine({ id: 0x18daf110, extended: true, fd: false, data: new Uint8Array(0) })).toBe(
      'T18DAF1100\r',
    );
    expect(() => encodeFrameLine({ id: 1, extended: false, fd: true, data: new Uint8Array(12) })).toThrow(
      /CAN FD/,
    );
  });

  it('parses frames, with or without a timestamp, and rejects malformed ones', () => {
    expect(parseLine('t7E826500')).toEqual({
      kind: 'frame',
      frame: { id: 0x7e8, extended: false, fd: false, data: Uint8Array.of(0x65, 0x00) },
    });
    expect(parseLine('t7E8265001A2B')).toMatchObject({ kind: 'frame', frame: { id: 0x7e8 } });
    expect(parseLine('T1FFFFFFF0')).toMatchObject({
      kind: 'frame',
      frame: { id: 0x1fffffff, extended: true },
    });
    expect(parseLine('t7E896500')).toMatchObject({ kind: 'invalid' });
    expect(parseLine('t7E82065')).toMatchObject({ kind: 'invalid' });
    expect(parseLine('tFFF0')).toMatchObject({ kind: 'invalid' });
    expect(parseLine('t7G80')).toMatchObject({ kind: 'invalid' });
    expect(parseLine('T3FFFFFFF0')).toMatchObject({ kind: 'invalid' });
    expect(parseLine('')).toEqual({ kind: 'ack' });
    expect(parseLine('z')).toEqual({ kind: 'ack' });
    expect(parseLine('S6')).toEqual({ kind: 'command', command: 'S', arg: '6' });
    expect(parseLine('\x01')).toMatchObject({ kind: 'invalid' });
  });

  it('maps bitrates to S codes', () => {
    expect(bitrateCommand(500_000)).toBe('S6');
    expect(bitrateCommand(1_000_000)).toBe('S8');
    expect(bitrateCommand(10_000)).toBe('S0');
    expect(bitrateCommand(333_333)).toBeUndefined();
  });

  it('splits lines at CR across chunks, reports BEL, ignores LF', () => {
    const s = new SlcanLineSplitter();
    expect(s.push(enc('t7E8'))).toEqual([]);
    expect(s.push(enc('0\r\n\r\x07O\r'))).toEqual([
      { kind: 'line', line: 't7E80' },
      { kind: 'line', line: '' },
      { kind: 'bell' },
      { kind: 'line', line: 'O' },
    ]);
  });

  it('caps a line: garbage beyond MAX_LINE is discarded up to the next CR', () => {
    const s = new SlcanLineSplitter();
    const tokens = s.push(enc(`${'x'.repeat(MAX_LINE * 10)}`));
    expect(tokens).toEqual([{ kind: 'overflow' }]);
    expect(s.pending).toBe(0);
    expect(s.push(enc('more garbage\rt1230\r'))).toEqual([{ kind: 'line', line: 't1230' }]);
  });
});
