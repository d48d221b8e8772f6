/** Shared set-up for SMP tests over real pseudo-terminals. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/lib/clock.js';
import { silentLogger } from '../../../src/lib/log.js';
import { createLinkProvider } from '../../../src/protocols/buses/links.js';
import type { LinkProvider } from '../../../src/protocols/buses/types.js';
import { buildMcubootImage } from '../../../src/protocols/smp/mcuboot-image.js';
import { type SmpSimulatedModule, startSmpModule } from '../../../src/simulate/smp/index.js';

/** The daemon's link provider: one open port per path, reopened after the module went away. */
export function testLinks(): LinkProvider & { closeAll(): Promise<void> } {
  return createLinkProvider();
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
