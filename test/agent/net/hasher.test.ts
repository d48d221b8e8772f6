import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inlineHasher, workerHasher } from '../../../src/agent/net/hasher.js';

describe('stream hashers', () => {
  it('worker and inline digests equal the one-shot SHA-256, for pooled, sliced and dedicated buffers', async () => {
    const pieces = [
      Buffer.from('abc'), // from the shared pool: must be copied, not transferred
      randomBytes(3 * 1024 * 1024 + 5),
      randomBytes(100_000).subarray(10, 90_000),
      Buffer.alloc(0),
      ...Array.from({ length: 20 }, () => randomBytes(1024 * 1024)), // more than may be in flight at once
    ];
    const expected = createHash('sha256');
    for (const p of pieces) expected.update(p);
    const want = expected.digest('hex');
    const pooledNeighbour = Buffer.from('xyz');
    const worker = workerHasher();
    const inline = inlineHasher();
    try {
      for (const p of pieces) {
        await inline.update(p);
        await worker.update(Buffer.from(p));
      }
      expect(await inline.digest()).toBe(want);
      expect(await worker.digest()).toBe(want);
      expect(pooledNeighbour.toString()).toBe('xyz');
    } finally {
      await worker.close();
      await worker.close();
    }
  });

  it('a closed worker refuses further work instead of hanging', async () => {
    const worker = workerHasher();
    await worker.close();
    await expect(worker.update(Buffer.alloc(10))).rejects.toThrow(/worker/);
  });
});
