import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildMcubootImage,
  imageHashValid,
  parseMcubootImage,
  readMcubootImageInfo,
  sameVersion,
} from '../../../src/protocols/smp/mcuboot-image.js';

describe('MCUboot image format', () => {
  it('builds header, payload and a TLV area whose SHA-256 covers header and payload', () => {
    const payload = Buffer.alloc(1000, 0xab);
    const image = Buffer.from(buildMcubootImage({ version: '1.2.3+4', payload }));
    expect(image.readUInt32LE(0)).toBe(0x96f3b83d);
    expect(image.readUInt16LE(8)).toBe(0x200);
    expect(image.readUInt32LE(12)).toBe(1000);
    expect([image[20], image[21], image.readUInt16LE(22), image.readUInt32LE(24)]).toEqual([1, 2, 3, 4]);
    expect(image.readUInt16LE(0x200 + 1000)).toBe(0x6907);
    const info = parseMcubootImage(image);
    expect(info.version).toBe('1.2.3.4');
    expect(info.totalSize).toBe(image.length);
    expect(Buffer.from(info.hash)).toEqual(
      createHash('sha256')
        .update(image.subarray(0, 0x200 + 1000))
        .digest(),
    );
    expect(imageHashValid(image, info)).toBe(true);
    image[0x300] = (image[0x300] ?? 0) ^ 1;
    expect(imageHashValid(image, info)).toBe(false);
  });

  it('reads header and hash from a file, and names what is wrong', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'soup-img-'));
    try {
      const path = join(dir, 'a.bin');
      await writeFile(
        path,
        buildMcubootImage({ version: '2.0.0', payload: Buffer.alloc(5000, 1), hdrSize: 32 }),
      );
      const info = await readMcubootImageInfo(path);
      expect(info.version).toBe('2.0.0');
      expect(info.header.hdrSize).toBe(32);
      const bad = join(dir, 'b.bin');
      await writeFile(bad, Buffer.alloc(64, 0x11));
      await expect(readMcubootImageInfo(bad)).rejects.toThrow(
        `${bad}: not an MCUboot image (magic at byte 0 is 0x11111111, expected 0x96f3b83d)`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('compares versions as MCUmgr prints them', () => {
    expect(sameVersion('1.2.3+4', '1.2.3.4')).toBe(true);
    expect(sameVersion('2.0', '2.0.0')).toBe(true);
    expect(sameVersion('2.0.0', '2.0.1')).toBe(false);
    expect(() => buildMcubootImage({ version: '300.0.0', payload: Buffer.alloc(1) })).toThrow(/does not fit/);
  });
});
