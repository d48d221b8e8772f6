import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/lib/clock.js';
import { SmpClient } from '../../../src/protocols/smp/client.js';
import { decodeMessage, encodeMessage } from '../../../src/protocols/smp/codec.js';
import { encodeFrames, FrameDecoder, lineBytesFor } from '../../../src/protocols/smp/framing.js';
import { uploadChunkSize } from '../../../src/protocols/smp/upload.js';
import { type SimFixture, startFixture } from './helpers.js';

describe('SMP client against the simulated module over a real pty', () => {
  let fx: SimFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('reads identity, parameters, image state and echoes', async () => {
    fx = await startFixture({
      serialNumber: 'SN-5000-1',
      attributes: { 'module-id': '5000', hwVersion: '1.2' },
      bufSize: 1024,
      image: '1.4.2',
    });
    const port = await fx.links.serial(fx.module.path, 921600);
    const client = new SmpClient(port, { clock: systemClock, name: 'display', baudRate: 921600 });
    expect(await client.identity()).toEqual({
      'module-id': '5000',
      hwVersion: '1.2',
      serialNumber: 'SN-5000-1',
    });
    expect(await client.params()).toEqual({ bufSize: 1024, bufCount: 4 });
    const slots = await client.imageState();
    expect(slots).toHaveLength(1);
    expect(slots[0]).toMatchObject({ slot: 0, version: '1.4.2', active: true, confirmed: true });
    expect(slots[0]?.hash).toHaveLength(32);
    expect(await client.echo('hello')).toBe('hello');
    expect(uploadChunkSize({ bufSize: 1024, bufCount: 4 }, 65536)).toBeLessThan(1024 - 50);
    client.dispose();
  });

  it('reports an unsupported group as not supported and an unknown command with rc 8', async () => {
    fx = await startFixture({ mode: 'serial-recovery', image: '0.9.0' });
    const port = await fx.links.serial(fx.module.path, 921600);
    const client = new SmpClient(port, { clock: systemClock, name: 'boot' });
    expect(await client.identity()).toBeUndefined();
    expect(await client.params()).toBeUndefined();
    await expect(client.imageStateWrite(undefined, true)).rejects.toThrow(
      'boot: image confirm refused: rc 8 (ENOTSUP, not supported)',
    );
    const slots = await client.imageState();
    expect(slots).toEqual([{ image: 0, slot: 0, version: '0.9.0', hash: expect.any(Uint8Array) }]);
    client.dispose();
  });
});

describe('simulated module link and flash timing (lower bounds only)', () => {
  let fx: SimFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('paces both directions to baud/10 bytes per second', async () => {
    fx = await startFixture({ link: { pty: '', baud: 57600 } }).catch(() => undefined);
    expect(fx).toBeUndefined(); // an empty pty path is refused
    const dir = await mkdtemp(join(tmpdir(), 'soup-smp-pace-'));
    fx = await startFixture({ link: { pty: join(dir, 'tty'), baud: 57600 } });
    const port = await fx.links.serial(fx.module.path, 57600);
    const client = new SmpClient(port, { clock: systemClock, baudRate: 57600 });
    const text = 'x'.repeat(1200);
    const line = lineBytesFor(
      encodeMessage({ op: 2, version: 1, flags: 0, group: 0, seq: 0, id: 0 }, { d: text }).length,
    );
    const started = performance.now();
    expect(await client.echo(text)).toBe(text);
    const elapsed = performance.now() - started;
    // request and answer each carry ~1.7 kB: at 5760 B/s that is ~590 ms; unpaced it takes a few ms
    expect(elapsed).toBeGreaterThan(((2 * line) / 5760) * 1000 * 0.9);
    client.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('takes the configured flash write time for uploaded bytes', async () => {
    fx = await startFixture({ bufSize: 2048, flashWriteBytesPerSec: 50_000 });
    const port = await fx.links.serial(fx.module.path, 921600);
    const client = new SmpClient(port, { clock: systemClock });
    const data = Buffer.alloc(1500, 1);
    const started = performance.now();
    for (let i = 0; i < 10; i++) {
      await client.uploadChunk(
        i === 0 ? { off: 0, data, len: 30_000, sha: Buffer.alloc(32) } : { off: i * 1500, data },
      );
    }
    // 15,000 bytes at 50,000 B/s: at least 300 ms
    expect(performance.now() - started).toBeGreaterThan(290);
    client.dispose();
  });

  it('MCUboot serial recovery answers with SMP v1 headers and indefinite-length CBOR', async () => {
    fx = await startFixture({ mode: 'serial-recovery' });
    const port = await fx.links.serial(fx.module.path, 921600);
    const decoder = new FrameDecoder();
    const answer = new Promise<Uint8Array>((resolve) => {
      const off = port.onData((chunk) => {
        for (const e of decoder.push(chunk)) {
          if (e.kind === 'packet') {
            off();
            resolve(e.body);
          }
        }
      });
    });
    await port.write(
      encodeFrames(encodeMessage({ op: 0, version: 1, flags: 0, group: 1, seq: 7, id: 0 }, {})),
    );
    const body = await answer;
    expect(body[0]).toBe(0x01); // version 0, op 1 (read response)
    expect(body[6]).toBe(7);
    expect(body[8]).toBe(0xbf); // indefinite-length map
    expect(decodeMessage(body).payload).toMatchObject({ images: [{ slot: 0, version: '1.0.0' }] });
  });
});
