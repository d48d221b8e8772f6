import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HandlerContext, HandlerJob } from '../../../src/handlers/types.js';
import type { CanBusConfig, CanEcuConfig } from '../../../src/inventory/module-config.js';
import { systemClock } from '../../../src/lib/clock.js';
import { silentLogger } from '../../../src/lib/log.js';
import { createLinkProvider } from '../../../src/protocols/buses/links.js';
import { buildSoupImage, type SimulatedUdsModule, startUdsEcus } from '../../../src/simulate/uds/index.js';

export interface HandlerRig {
  dir: string;
  sim: SimulatedUdsModule;
  links: ReturnType<typeof createLinkProvider>;
  bus: CanBusConfig;
  ecu: CanEcuConfig;
  checkpoint: Map<string, unknown>;
  progress: [number, number][];
  job(version: string, payloadSize: number): Promise<HandlerJob>;
  ctx(signal?: AbortSignal): HandlerContext;
  close(): Promise<void>;
}

/** A simulated ECU on a real SLCAN pty, and the agent side as the daemon has it (LinkProvider, config). */
export async function startHandlerRig(
  options: {
    faults?: Record<string, unknown>[];
    sim?: Record<string, unknown>;
    ecu?: Partial<CanEcuConfig>;
  } = {},
): Promise<HandlerRig> {
  const dir = await mkdtemp(join(tmpdir(), 'soup-udsh-'));
  const path = join(dir, 'can0');
  const [sim] = await startUdsEcus([
    {
      protocol: 'uds',
      name: 'brake',
      link: { slcan: path, bitrate: 1_000_000 },
      txId: '0x7e8',
      rxId: '0x7e0',
      serialNumber: 'SN-778812',
      dids: { F187: '1337', F193: '1.7' },
      image: '2.0.0',
      security: { level: 1, key: 'xor:0xA5A5A5A5' },
      memory: { address: '0x08000000', size: 65536 },
      maxBlockLength: 1026,
      faults: options.faults ?? [],
      ...options.sim,
    },
  ]);
  const ecu: CanEcuConfig = {
    name: 'brake',
    txId: '0x7e0',
    rxId: '0x7e8',
    attributes: { 'module-id': '4711' },
    security: { level: 1, key: 'xor:0xA5A5A5A5' },
    memory: { address: '0x08000000', addressLength: 4, sizeLength: 4 },
    routines: { erase: '0xFF00', check: '0xFF01' },
    ...options.ecu,
  };
  const bus: CanBusConfig = { bus: `slcan:${path}`, bitrate: 1_000_000, ecus: [ecu] };
  const links = createLinkProvider();
  const checkpoint = new Map<string, unknown>();
  const progress: [number, number][] = [];
  let n = 0;
  return {
    dir,
    sim: sim!,
    links,
    bus,
    ecu,
    checkpoint,
    progress,
    async job(version, payloadSize) {
      const payload = Buffer.alloc(payloadSize);
      for (let i = 0; i < payloadSize; i++) payload[i] = (i * 151 + 7) & 0xff;
      const image = buildSoupImage({ version, payload });
      const file = join(dir, `image-${++n}.bin`);
      await writeFile(file, image);
      return {
        actionId: '17',
        module: { id: 'SN-778812', name: 'brake', attributes: {}, config: { kind: 'can', bus, entry: ecu } },
        image: {
          path: file,
          filename: `image-${n}.bin`,
          size: image.length,
          sha256: createHash('sha256').update(image).digest('hex'),
        },
        version,
        artifacts: [],
      };
    },
    ctx(signal) {
      return {
        log: silentLogger(),
        signal: signal ?? new AbortController().signal,
        clock: systemClock,
        links,
        dataDir: dir,
        checkpoint: {
          load: <T>() => checkpoint.get('cp') as T | undefined,
          save: <T>(value: T) => {
            checkpoint.set('cp', value);
          },
        },
        progress: (cnt, of) => progress.push([cnt, of]),
      };
    },
    async close() {
      await links.closeAll();
      await sim!.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
