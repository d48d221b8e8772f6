/**
 * The deployment shape: `soup-agent simulate` runs two UDS ECUs on one SLCAN pty in its own process;
 * this process is the agent side (LinkProvider, probe, uds-flash handler). Needs `npx tsc -p tsconfig.json`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { createUdsFlashHandler } from '../../../src/handlers/uds-flash.js';
import type { CanBusConfig } from '../../../src/inventory/module-config.js';
import { createUdsProbe } from '../../../src/inventory/probes/uds.js';
import { systemClock } from '../../../src/lib/clock.js';
import { silentLogger } from '../../../src/lib/log.js';
import { createLinkProvider } from '../../../src/protocols/buses/links.js';
import { buildSoupImage } from '../../../src/simulate/uds/image.js';

const MAIN = join(import.meta.dirname, '../../../dist/src/cli/main.js');

describe('UDS ECUs from `soup-agent simulate` in their own process', () => {
  let child: ChildProcess | undefined;
  let dir = '';
  const links = createLinkProvider();
  afterEach(async () => {
    await links.closeAll();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('probes both ECUs on the shared bus and flashes one of them', async () => {
    dir = await mkdtemp(join(tmpdir(), 'soup-udsproc-'));
    const path = join(dir, 'can0');
    const file = join(dir, 'sim.json');
    const link = { slcan: path, bitrate: 500_000 };
    await writeFile(
      file,
      JSON.stringify({
        modules: [
          {
            protocol: 'uds',
            name: 'brake',
            link,
            txId: '0x7e8',
            rxId: '0x7e0',
            serialNumber: 'SN-778812',
            dids: { F187: '1337', F193: '1.7' },
            image: '2.0.0',
            security: { level: 1, key: 'xor:0xA5A5A5A5' },
            memory: { address: '0x08000000', size: 65536 },
            maxBlockLength: 4095,
            faults: [{ type: 'disconnect', atOffset: 6000, durationMs: 300 }],
          },
          {
            protocol: 'uds',
            name: 'door',
            link,
            txId: '0x7e9',
            rxId: '0x7e1',
            serialNumber: 'SN-2',
            image: '3.1.4',
          },
        ],
      }),
    );
    child = spawn(process.execPath, [MAIN, 'simulate', '-c', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: Record<string, unknown>[] = [];
    for await (const line of createInterface({ input: child.stdout! })) {
      lines.push(JSON.parse(line) as Record<string, unknown>);
      if (lines.at(-1)?.ready) break;
    }
    expect(lines).toEqual([
      { name: 'brake', protocol: 'uds', path, txId: '0x7e8', rxId: '0x7e0' },
      { name: 'door', protocol: 'uds', path, txId: '0x7e9', rxId: '0x7e1' },
      { ready: true },
    ]);

    const brake = {
      name: 'brake',
      txId: '0x7e0',
      rxId: '0x7e8',
      security: { level: 1, key: 'xor:0xA5A5A5A5' },
      memory: { address: '0x08000000', addressLength: 4, sizeLength: 4 },
    };
    const bus: CanBusConfig = {
      bus: `slcan:${path}`,
      bitrate: 500_000,
      ecus: [brake, { name: 'door', txId: '0x7e1', rxId: '0x7e9' }],
    };
    const probeCtx = { log: silentLogger(), signal: new AbortController().signal, links };
    const before = await createUdsProbe(bus, bus.ecus[0]!).probe(probeCtx);
    expect(before.attributes.swVersion).toBe('2.0.0');
    expect((await createUdsProbe(bus, bus.ecus[1]!).probe(probeCtx)).serialNumber).toBe('SN-2');

    const image = buildSoupImage({ version: '2.0.1', payload: Buffer.alloc(16_000, 0x5a) });
    const imagePath = join(dir, 'brake.bin');
    await writeFile(imagePath, image);
    const saved = new Map<string, unknown>();
    const progress: number[] = [];
    const ctx = {
      log: silentLogger(),
      signal: new AbortController().signal,
      clock: systemClock,
      links,
      dataDir: dir,
      checkpoint: {
        load: <T>() => saved.get('cp') as T | undefined,
        save: <T>(v: T) => void saved.set('cp', v),
      },
      progress: (cnt: number) => progress.push(cnt),
    };
    const job = {
      actionId: '1',
      module: {
        id: 'SN-778812',
        name: 'brake',
        attributes: {},
        config: { kind: 'can' as const, bus, entry: brake },
      },
      image: {
        path: imagePath,
        filename: 'brake.bin',
        size: image.length,
        sha256: createHash('sha256').update(image).digest('hex'),
      },
      version: '2.0.1',
      artifacts: [],
    };
    const handler = createUdsFlashHandler();
    await handler.prepare(job, ctx);
    await handler.transfer(job, ctx);
    await handler.activate(job, ctx);
    await handler.verify(job, ctx);
    expect(progress.at(-1)).toBe(image.length);
    const after = await createUdsProbe(bus, bus.ecus[0]!).probe(probeCtx);
    expect(after.attributes.swVersion).toBe('2.0.1');
  });
});
