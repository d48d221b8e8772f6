import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/lib/clock.js';
import { SmpClient, uploadChunkSize } from '../../../src/protocols/smp/client.js';
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
