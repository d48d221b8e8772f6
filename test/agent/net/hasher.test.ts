import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inlineHasher, type StreamHasher, workerHasher } from '../../../src/agent/net/hasher.js';

async function feed(hasher: StreamHasher, data: Buffer): Promise<Set<ArrayBufferLike>> {
  const seen = new Set<ArrayBufferLike>();
  for (let at = 0; at < data.length; ) {
    const buffer = await hasher.acquire();
    seen.add(buffer.buffer);
    const n = data.copy(buffer, 0, at, Math.min(data.length, at + buffer.length - 3));
    hasher.submit(buffer, n);
    at += n;
  }
  return seen;
}

describe('stream hashers', () => {
  it('worker and inline digests equal the one-shot SHA-256; pool buffers are reused', async () => {
    const data = randomBytes(12 * 1024 * 1024 + 77);
    const want = createHash('sha256').update(data).digest('hex');
    const worker = workerHasher(256 * 1024);
    const inline = inlineHasher(100_000);
    try {
      expect((await feed(inline, data)).size).toBe(1);
      await feed(worker, data);
      expect(await inline.digest()).toBe(want);
      expect(await worker.digest()).toBe(want);
    } finally {
      await worker.close();
      await worker.close();
    }
  });

  it('at most four buffers are out at a time: the fifth waits for one to be hashed', async () => {
    const worker = workerHasher(1024);
    try {
      const out = await Promise.all([worker.acquire(), worker.acquire(), worker.acquire(), worker.acquire()]);
      let fifth: Buffer | undefined;
      const pending = worker.acquire().then((b) => {
        fifth = b;
      });
      await new Promise((r) => setImmediate(r));
      expect(fifth).toBeUndefined();
      worker.submit(out[0]!, 10);
      await pending;
      expect(fifth?.length).toBe(1024);
    } finally {
      await worker.close();
    }
  });

  it('a zero-length submission returns the buffer and changes nothing', async () => {
    const worker = workerHasher(1024);
    try {
      for (let i = 0; i < 10; i++) worker.submit(await worker.acquire(), 0);
      expect(await worker.digest()).toBe(createHash('sha256').digest('hex'));
    } finally {
      await worker.close();
    }
  });

  it('a closed worker refuses further work instead of hanging', async () => {
    const worker = workerHasher();
    await worker.close();
    await expect(worker.acquire()).rejects.toThrow(/closed/);
    await expect(worker.digest()).rejects.toThrow(/closed/);
  });
});
