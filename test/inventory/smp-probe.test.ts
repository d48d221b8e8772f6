import { afterEach, describe, expect, it } from 'vitest';
import { createSmpProbe } from '../../src/inventory/probes/smp.js';
import { silentLogger } from '../../src/lib/log.js';
import { type SimFixture, startFixture } from '../protocols/smp/helpers.js';

describe('SMP probe over a real pty', () => {
  let fx: SimFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  const ctx = (f: SimFixture) => ({
    log: silentLogger(),
    signal: new AbortController().signal,
    links: f.links,
  });

  it('reports group 64 identity, the serial number and the active slot version', async () => {
    fx = await startFixture({
      serialNumber: 'SN-5000-1',
      attributes: { 'module-id': '5000', hwVersion: '1.2', partNumber: 'P-77' },
      image: '1.3.0',
    });
    const probe = createSmpProbe({ path: fx.module.path, baudRate: 921600, protocol: 'smp' });
    expect(probe.name).toBe('tty');
    expect(await probe.probe(ctx(fx))).toEqual({
      serialNumber: 'SN-5000-1',
      attributes: {
        'module-id': '5000',
        hwVersion: '1.2',
        partNumber: 'P-77',
        serialNumber: 'SN-5000-1',
        swVersion: '1.3.0',
      },
    });
  });

  it('reports a module without group 64 (MCUboot serial recovery) with what image state gives', async () => {
    fx = await startFixture({ mode: 'serial-recovery', image: '0.9.1', serialNumber: 'unused' });
    const probe = createSmpProbe({ name: 'boot', path: fx.module.path, baudRate: 921600, protocol: 'smp' });
    expect(await probe.probe(ctx(fx))).toEqual({
      attributes: { swVersion: '0.9.1', smpMode: 'serial-recovery' },
    });
  });

  it('fails clearly when nothing answers', async () => {
    fx = await startFixture({ faults: [{ type: 'drop-frame', count: 100 }] });
    const probe = createSmpProbe({
      name: 'mute',
      path: fx.module.path,
      baudRate: 921600,
      protocol: 'smp',
      timeoutMs: 100,
    });
    await expect(probe.probe(ctx(fx))).rejects.toThrow(
      /^mute: no answer to identity read after 2 attempts of \d+ ms$/,
    );
  });
});
