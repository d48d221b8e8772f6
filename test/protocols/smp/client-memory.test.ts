/** Client logic over the in-memory twin: sequence matching, retries, timeouts (on a manual clock), errors, upload resume. */
import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../../src/lib/clock.js';
import { createMemoryStreamPair } from '../../../src/protocols/buses/memory-stream.js';
import type { ByteStream } from '../../../src/protocols/buses/types.js';
import { SmpClient } from '../../../src/protocols/smp/client.js';
import {
  type CborMap,
  decodeMessage,
  encodeMessage,
  type SmpMessage,
} from '../../../src/protocols/smp/codec.js';
import { encodeFrames, FrameDecoder } from '../../../src/protocols/smp/framing.js';
import { uploadImage } from '../../../src/protocols/smp/upload.js';

/** A scripted module: `reply` returns the payload to answer with, or undefined to stay silent. */
function responder(
  stream: ByteStream,
  reply: (m: SmpMessage, n: number) => CborMap | undefined,
): SmpMessage[] {
  const seen: SmpMessage[] = [];
  const decoder = new FrameDecoder();
  stream.onData((chunk) => {
    for (const e of decoder.push(chunk)) {
      if (e.kind !== 'packet') continue;
      const m = decodeMessage(e.body);
      seen.push(m);
      const payload = reply(m, seen.length);
      if (!payload) continue;
      const h = m.header;
      void stream.write(encodeFrames(encodeMessage({ ...h, op: (h.op + 1) as 1 | 3 }, payload)));
    }
  });
  return seen;
}

describe('SMP client logic (in-memory)', () => {
  it('retries a lost request with the same sequence number and ignores answers to other requests', async () => {
    const [agent, module] = createMemoryStreamPair();
    const seen = responder(module, (m, n) => {
      if (n === 1) return undefined; // lost
      if (n === 2) {
        // a stale answer with another sequence number first, then the real one
        const h = m.header;
        void module.write(
          encodeFrames(encodeMessage({ ...h, op: 3, seq: (h.seq + 9) & 0xff }, { r: 'stale' })),
        );
      }
      return { r: m.payload.d };
    });
    const clock = new ManualClock();
    const client = new SmpClient(agent, { clock, timeoutMs: 50, retries: 2 });
    expect(await clock.run(client.echo('ping'))).toBe('ping');
    expect(clock.now()).toBe(50); // one timeout, then the retry's answer
    expect(seen).toHaveLength(2);
    expect(seen[0]?.header.seq).toBe(seen[1]?.header.seq);
    expect(seen[0]?.header.version).toBe(1);
  });

  it('fails with one line naming the request when the module never answers', async () => {
    const [agent, module] = createMemoryStreamPair();
    const seen = responder(module, () => undefined);
    const clock = new ManualClock();
    const client = new SmpClient(agent, { clock, timeoutMs: 20, retries: 2, name: 'display' });
    await expect(clock.run(client.reset())).rejects.toMatchObject({
      code: 'SOUP_E_MODULE_TIMEOUT',
      retryable: true,
      message: 'display: no answer to OS reset after 3 attempts of 20 ms',
    });
    expect(seen).toHaveLength(3);
  });

  it('names the module error of v1 and v2 answers, and fails at once when the link closes', async () => {
    const [agent, module] = createMemoryStreamPair();
    responder(module, (m) => (m.header.group === 1 ? { err: { group: 1, rc: 24 } } : { rc: 10 }));
    const client = new SmpClient(agent, { clock: systemClock, name: 'display' });
    await expect(client.imageStateWrite(new Uint8Array(32), false)).rejects.toThrow(
      'display: image test refused: rc 24 in group 1 (INVALID_HASH)',
    );
    await expect(client.echo('x')).rejects.toThrow('display: echo refused: rc 10 (EBUSY, busy)');
    const silent = createMemoryStreamPair();
    const c2 = new SmpClient(silent[0], { clock: systemClock, timeoutMs: 10_000, name: 'display' });
    const pending = c2.echo('x');
    setTimeout(() => (silent[0] as unknown as { fail(r: string): void }).fail('unplugged'), 20);
    await expect(pending).rejects.toMatchObject({ code: 'SOUP_E_IO', retryable: true });
  });

  it('uploads from the offset the module acknowledges, not from the start', async () => {
    const [agent, module] = createMemoryStreamPair();
    const image = Buffer.alloc(10_000, 5);
    let moduleOff = 6000; // the module already holds 6000 bytes of this upload
    const offsets: number[] = [];
    responder(module, (m) => {
      const off = m.payload.off as number;
      const data = m.payload.data as Uint8Array;
      offsets.push(off);
      if (off === moduleOff) moduleOff += data.length;
      return { off: moduleOff };
    });
    const client = new SmpClient(agent, { clock: systemClock });
    const progress: number[] = [];
    await uploadImage(
      client,
      { size: image.length, read: async (off, n) => image.subarray(off, off + n) },
      { sha: new Uint8Array(32), chunkSize: 1000, startOff: 4000, onProgress: (o) => progress.push(o) },
    );
    expect(offsets).toEqual([4000, 6000, 7000, 8000, 9000]);
    expect(progress.at(-1)).toBe(10_000);
  });
});

describe('pipelined upload (in-memory module that processes requests in order)', () => {
  it('keeps several chunks in flight and recovers from a lost request by the module offset', async () => {
    const [agent, module] = createMemoryStreamPair();
    const image = Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 13) & 0xff));
    const flash = Buffer.alloc(image.length);
    let moduleOff = 0;
    let maxInFlight = 0;
    let unanswered = 0;
    const seen = responder(module, (m, n) => {
      unanswered++;
      maxInFlight = Math.max(maxInFlight, unanswered);
      const off = m.payload.off as number;
      const data = m.payload.data as Uint8Array;
      if (n === 4) return undefined; // lost on the wire
      unanswered = 0;
      if (off === moduleOff) {
        flash.set(data, off);
        moduleOff += data.length;
      }
      return { off: moduleOff };
    });
    const client = new SmpClient(agent, { clock: systemClock, timeoutMs: 50 });
    await uploadImage(
      client,
      { size: image.length, read: async (off, n) => image.subarray(off, off + n) },
      { sha: new Uint8Array(32), chunkSize: 1000, window: 3 },
    );
    expect(flash.equals(image)).toBe(true);
    expect(maxInFlight).toBeGreaterThan(1);
    // 20 chunks, one lost, at most `window` answered "not here" and sent again
    expect(seen.length).toBeLessThanOrEqual(20 + 1 + 3);
  });
});
