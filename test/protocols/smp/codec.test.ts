import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeCbor,
  encodeCborIndefinite,
  encodeMessage,
  responseError,
} from '../../../src/protocols/smp/codec.js';
import { decodeHeader, encodeHeader } from '../../../src/protocols/smp/header.js';

describe('SMP header and CBOR codec', () => {
  it('packs op, version, length, group, sequence and id', () => {
    const h = { op: 2 as const, version: 1, flags: 0, length: 0x1234, group: 64, seq: 0xfe, id: 5 };
    const bytes = encodeHeader(h);
    expect([...bytes]).toEqual([0x0a, 0, 0x12, 0x34, 0, 64, 0xfe, 5]);
    expect(decodeHeader(bytes)).toEqual(h);
  });

  it('decodes definite and indefinite maps and arrays alike, with unknown keys kept aside', () => {
    const value = {
      images: [{ slot: 0, version: '1.0.0', hash: Buffer.alloc(32, 7), extra: 'x' }],
      splitStatus: 0,
    };
    const definite = encodeMessage({ op: 1, version: 0, flags: 0, group: 1, seq: 3, id: 0 }, value);
    const indefinite = encodeMessage({ op: 1, version: 0, flags: 0, group: 1, seq: 3, id: 0 }, value, {
      indefinite: true,
    });
    expect(indefinite[8]).toBe(0xbf);
    expect(indefinite.length).not.toBe(definite.length);
    expect(decodeMessage(indefinite).payload).toEqual(decodeMessage(definite).payload);
    expect(decodeMessage(definite).payload).toEqual(value);
  });

  it('encodes byte strings as plain CBOR byte strings (no typed-array tag)', () => {
    expect([...encodeCbor({ d: new Uint8Array([1, 2]) })]).toEqual([0xa1, 0x61, 0x64, 0x42, 1, 2]);
    expect([...encodeCborIndefinite({ d: [1] })]).toEqual([0xbf, 0x61, 0x64, 0x9f, 1, 0xff, 0xff]);
  });

  it('reads v1 rc and v2 err errors', () => {
    expect(responseError({ rc: 0, off: 5 })).toBeUndefined();
    expect(responseError({ rc: 8 })).toEqual({ rc: 8, name: 'ENOTSUP, not supported' });
    expect(responseError({ err: { group: 1, rc: 24 } })).toEqual({ group: 1, rc: 24, name: 'INVALID_HASH' });
    expect(responseError({ err: { group: 77, rc: 2 } })).toEqual({
      group: 77,
      rc: 2,
      name: 'group 77 error 2',
    });
  });

  it('rejects a bad message with where it is wrong', () => {
    expect(() => decodeMessage(Uint8Array.of(1, 2, 3))).toThrow(
      'SMP message of 3 bytes is shorter than its header',
    );
    const h = encodeHeader({ op: 1, version: 0, flags: 0, length: 4, group: 0, seq: 0, id: 0 });
    expect(() => decodeMessage(Buffer.concat([h, Buffer.from([0xa1])]))).toThrow(
      'SMP header says 4 payload bytes, the packet carries 1',
    );
    const h2 = encodeHeader({ op: 1, version: 0, flags: 0, length: 2, group: 0, seq: 0, id: 0 });
    expect(() => decodeMessage(Buffer.concat([h2, Buffer.from([0xa1, 0x61])]))).toThrow(/not valid CBOR/);
    const h3 = encodeHeader({ op: 1, version: 0, flags: 0, length: 1, group: 0, seq: 0, id: 0 });
    expect(() => decodeMessage(Buffer.concat([h3, Buffer.from([0x05])]))).toThrow(
      'SMP payload is not a CBOR map',
    );
  });
});
