import { describe, expect, it } from 'vitest';
import { parseUdsEcuConfig } from '../../../src/simulate/uds/config.js';
import { parseSoupHeader, verifySoupImage } from '../../../src/simulate/uds/image.js';
import { buildSoupImage, startUdsEcus } from '../../../src/simulate/uds/index.js';

describe('SOUPIMG1 images', () => {
  it('builds the 64-byte header: magic, version, length, CRC-32', () => {
    const image = buildSoupImage({ version: '2.0.1', payload: Buffer.from('hello') });
    expect(image.length).toBe(69);
    expect(image.toString('ascii', 0, 8)).toBe('SOUPIMG1');
    expect(image.subarray(8, 40).toString('utf8').replace(/\0+$/, '')).toBe('2.0.1');
    expect(image.readUInt32BE(40)).toBe(5);
    expect(image.readUInt32BE(44)).toBe(0x3610a686); // CRC-32("hello")
    expect(image.subarray(48, 64).every((b) => b === 0)).toBe(true);
    expect(parseSoupHeader(image)).toEqual({ version: '2.0.1', payloadLength: 5, crc: 0x3610a686 });
    expect(verifySoupImage(image, image.length)).toMatchObject({ version: '2.0.1' });
    image[66] = 0;
    expect(verifySoupImage(image, image.length)).toMatch(/CRC-32/);
    expect(verifySoupImage(image, 60)).toMatch(/header/);
    expect(() => buildSoupImage({ version: 'x'.repeat(33), payload: Buffer.alloc(0) })).toThrow(/1–32 bytes/);
  });
});

describe('simulated ECU configuration', () => {
  it('names the key path of what is wrong', async () => {
    const base = { name: 'brake', link: { memory: 'x' }, txId: '0x7e8', rxId: '0x7e0' };
    expect(() => parseUdsEcuConfig({ ...base, txId: '0x800' }, 0)).toThrow(
      'modules[0] (brake).txId: 0x800 is above 0x7ff',
    );
    expect(() => parseUdsEcuConfig({ ...base, link: {} }, 1)).toThrow(
      'modules[1] (brake).link: needs "slcan": <path> or "memory": <name>',
    );
    expect(() => parseUdsEcuConfig({ ...base, faults: [{ type: 'explode' }] }, 2)).toThrow(
      /modules\[2\] \(brake\)\.faults\[0\]\.type: "explode" is not one of drop-frame/,
    );
    expect(() => parseUdsEcuConfig({ ...base, faults: [{ type: 'nrc', count: 0 }] }, 0)).toThrow(
      'modules[0] (brake).faults[0].count: 0 is not an integer in 1–2147483648',
    );
    expect(parseUdsEcuConfig({ ...base, extendedIds: true, txId: '0x18DAF110' }, 0).txId).toBe(0x18daf110);
    await expect(startUdsEcus([{ ...base, security: { level: 1, key: 'nope' } }])).rejects.toThrow(
      'modules[0].security.key: "nope" is neither xor:<mask> nor module:<path>',
    );
  });
});
