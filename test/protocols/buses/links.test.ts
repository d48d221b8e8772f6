import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CanBusConfig } from '../../../src/inventory/module-config.js';
import { createUdsProbe } from '../../../src/inventory/probes/uds.js';
import { silentLogger } from '../../../src/lib/log.js';
import { createLinkProvider } from '../../../src/protocols/buses/links.js';
import { createPtyPair } from '../../../src/simulate/pty.js';
import { type SimulatedUdsModule, startUdsEcus } from '../../../src/simulate/uds/index.js';

describe('LinkProvider', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function twoEcusOnOneBus(): Promise<{ path: string; sims: SimulatedUdsModule[] }> {
    const dir = await mkdtemp(join(tmpdir(), 'soup-links-'));
    const path = join(dir, 'can0');
    const common = { protocol: 'uds', link: { slcan: path, bitrate: 500_000 } };
    const sims = await startUdsEcus([
      { ...common, name: 'brake', txId: '0x7e8', rxId: '0x7e0', serialNumber: 'SN-1', image: '1.0.0' },
      { ...common, name: 'door', txId: '0x7e9', rxId: '0x7e1', serialNumber: 'SN-2', image: '3.1.4' },
    ]);
    cleanups.push(async () => {
      for (const s of sims) await s.close();
      await rm(dir, { recursive: true, force: true });
    });
    return { path, sims };
  }

  it('opens one SLCAN bus per path, shared by every ECU on it, and reopens after closeAll', async () => {
    const { path, sims } = await twoEcusOnOneBus();
    expect(sims.map((s) => s.path)).toEqual([path, path]);
    const links = createLinkProvider();
    cleanups.push(() => links.closeAll());
    const a = await links.can(`slcan:${path}`, 500_000);
    const b = await links.can(`slcan:${path}`, 500_000);
    expect(a).toBe(b);
    await expect(links.can(`slcan:${path}`, 250_000)).rejects.toThrow(
      `CAN bus slcan:${path} is already open at 500000 bit/s, not 250000`,
    );
    const bus: CanBusConfig = {
      bus: `slcan:${path}`,
      bitrate: 500_000,
      ecus: [
        { name: 'brake', txId: '0x7e0', rxId: '0x7e8' },
        { name: 'door', txId: '0x7e1', rxId: '0x7e9', dids: { F189: 'swVersion', F18C: 'serialNumber' } },
      ],
    };
    const ctx = { log: silentLogger(), signal: new AbortController().signal, links };
    const brake = await createUdsProbe(bus, bus.ecus[0]!).probe(ctx);
    const door = await createUdsProbe(bus, bus.ecus[1]!).probe(ctx);
    expect(brake.serialNumber).toBe('SN-1');
    expect(brake.attributes.swVersion).toBe('1.0.0');
    expect(door).toEqual({ serialNumber: 'SN-2', attributes: { serialNumber: 'SN-2', swVersion: '3.1.4' } });
    await links.closeAll();
    const c = await links.can(`slcan:${path}`, 500_000);
    expect(c).not.toBe(a);
  });

  it('shares a serial port per path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'soup-links-'));
    const pty = await createPtyPair(join(dir, 'tty0'));
    cleanups.push(async () => {
      await pty.close();
      await rm(dir, { recursive: true, force: true });
    });
    const links = createLinkProvider();
    cleanups.push(() => links.closeAll());
    const s1 = await links.serial(pty.linkPath, 115200);
    expect(await links.serial(pty.linkPath, 115200)).toBe(s1);
    await s1.close();
    const s2 = await links.serial(pty.linkPath, 115200);
    expect(s2).not.toBe(s1);
    expect(s2.isOpen).toBe(true);
  });

  it('says why SocketCAN cannot open here, and refuses bad bus names', async () => {
    const links = createLinkProvider();
    // socketcan is an optional dependency: installed, it fails on a kernel without CAN (CI has none);
    // when its native build failed, the error names the missing package
    const installed = await import('socketcan').then(
      () => true,
      () => false,
    );
    await expect(links.can('can0', 500_000)).rejects.toMatchObject(
      installed
        ? { code: 'SOUP_E_IO', message: expect.stringMatching(/^SocketCAN can0: /) }
        : {
            code: 'SOUP_E_NOT_BUILT',
            message: expect.stringContaining('optional native package "socketcan"'),
          },
    );
    await expect(links.can('slcan:', 500_000)).rejects.toThrow('CAN bus "slcan:" names no serial path');
    await expect(links.can('can 0; rm', 500_000)).rejects.toThrow(/not valid/);
    await expect(links.can('slcan:/nonexistent/ttyACM9', 500_000)).rejects.toThrow(/ttyACM9/);
  });

  it('probing an ECU that is not there reports it unreachable (timeout)', async () => {
    const { path } = await twoEcusOnOneBus();
    const links = createLinkProvider();
    cleanups.push(() => links.closeAll());
    const bus: CanBusConfig = {
      bus: `slcan:${path}`,
      bitrate: 500_000,
      ecus: [{ name: 'ghost', txId: '0x7e5', rxId: '0x7ed', dids: { F189: 'swVersion' } }],
    };
    await expect(
      createUdsProbe(bus, bus.ecus[0]!).probe({
        log: silentLogger(),
        signal: new AbortController().signal,
        links,
      }),
    ).rejects.toMatchObject({ code: 'SOUP_E_MODULE_TIMEOUT' });
  });
});
