import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type StreamHasher, streamHasher } from '../../../src/agent/net/hasher.js';

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

describe('stream hasher', () => {
  it('the digest equals the one-shot SHA-256; one buffer is reused throughout', async () => {
    const data = randomBytes(12 * 1024 * 1024 + 77);
    const want = createHash('sha256').update(data).digest('hex');
    const hasher = streamHasher(100_000);
    expect((await feed(hasher, data)).size).toBe(1);
    expect(await hasher.digest()).toBe(want);
  });

  it('a zero-length submission changes nothing', async () => {
    const hasher = streamHasher(1024);
    for (let i = 0; i < 10; i++) hasher.submit(await hasher.acquire(), 0);
    expect(await hasher.digest()).toBe(createHash('sha256').digest('hex'));
  });
});
