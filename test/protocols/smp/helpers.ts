/** Shared set-up for SMP tests over real pseudo-terminals. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/lib/clock.js';
import { silentLogger } from '../../../src/lib/log.js';
import { openSerialPort } from '../../../src/protocols/buses/serial.js';
import type { ByteStream, LinkProvider } from '../../../src/protocols/buses/types.js';
import { buildMcubootImage } from '../../../src/protocols/smp/mcuboot-image.js';
import { type SmpSimulatedModule, startSmpModule } from '../../../src/simulate/smp/index.js';

/** Like the daemon's: one open port per path, reopened when it was closed (a module that went away). */
export function testLinks(): LinkProvider & { closeAll(): Promise<void>; opened: number } {
  const ports = new Map<string, ByteStream>();
  const links = {
    opened: 0,
    async serial(path: string, baudRate: number): Promise<ByteStream> {
      const existing = ports.get(path);
      if (existing?.isOpen) return existing;
      const port = await openSerialPort(path, baudRate);
      links.opened++;
      ports.set(path, port);
      return port;
    },
    can(): never {
      throw new Error('no CAN in SMP tests');
    },
    async closeAll(): Promise<void> {
      for (const p of ports.values()) await p.close();
      ports.clear();
    },
  };
  return links;
}

export interface SimFixture {
  dir: string;
  module: SmpSimulatedModule;
  links: ReturnType<typeof testLinks>;
  close(): Promise<void>;
}

export async function startFixture(config: Record<string, unknown>): Promise<SimFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'soup-smp-'));
  const module = await startSmpModule(
    { name: 'display', link: { pty: join(dir, 'tty'), baud: 921600 }, ...config, protocol: 'smp' },
    { clock: systemClock, log: silentLogger() },
  ).catch(async (err) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  const links = testLinks();
  return {
    dir,
    module,
    links,
    async close() {
      await links.closeAll();
      await module.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A deterministic MCUboot image file of about `size` bytes. */
export async function writeImage(dir: string, version: string, size: number): Promise<string> {
  const payload = Buffer.alloc(size);
  let x = 0x12345678 ^ size;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    payload[i] = x >>> 24;
  }
  const path = join(dir, `app-${version}.bin`);
  await writeFile(path, buildMcubootImage({ version, payload }));
  return path;
}
