import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/lib/clock.js';
import { silentLogger } from '../../../src/lib/log.js';
import { openSerialPort } from '../../../src/protocols/buses/serial.js';
import { openSlcanBus } from '../../../src/protocols/buses/slcan.js';
import type { FrameBus } from '../../../src/protocols/buses/types.js';
import { connectEcu, type EcuConnection } from '../../../src/protocols/uds/connect.js';
import type { CanEcuConfig } from '../../../src/protocols/uds/ecu-config.js';
import { ecuSettings } from '../../../src/protocols/uds/ecu-config.js';
import {
  type SimulatedUdsModule,
  simulatedMemoryBus,
  startUdsEcus,
} from '../../../src/simulate/uds/index.js';

export const log = silentLogger();

export interface Rig {
  sim: SimulatedUdsModule[];
  bus: FrameBus;
  conn: EcuConnection;
  busPath: string;
  close(): Promise<void>;
}

export interface RigOptions {
  link: 'slcan' | 'memory';
  bitrate?: number;
  faults?: Record<string, unknown>[];
  extra?: Record<string, unknown>;
  name?: string;
  /** Agent-side ECU settings over the defaults (ids, fd…). */
  ecu?: Partial<CanEcuConfig>;
}

let seq = 0;

/** One simulated ECU `brake` (tx 0x7e8, rx 0x7e0) and a client connected to it. */
export async function startRig(options: RigOptions): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'soup-uds-'));
  const bitrate = options.bitrate ?? 1_000_000;
  const memName = `mem-${process.pid}-${++seq}`;
  const link = options.link === 'slcan' ? { slcan: join(dir, 'can0'), bitrate } : { memory: memName };
  const sim = await startUdsEcus([
    {
      protocol: 'uds',
      name: options.name ?? 'brake',
      link,
      txId: '0x7e8',
      rxId: '0x7e0',
      serialNumber: 'SN-778812',
      dids: { F187: '1337', F193: '1.7' },
      image: '1.0.0',
      security: { level: 1, key: 'xor:0xA5A5A5A5' },
      memory: { address: '0x08000000', size: 65536 },
      maxBlockLength: 1026,
      faults: options.faults ?? [],
      ...options.extra,
    },
  ]);
  let bus: FrameBus;
  if (options.link === 'slcan') {
    const stream = await openSerialPort(join(dir, 'can0'), 115200);
    bus = await openSlcanBus(stream, { bitrate, name: 'slcan:test' });
  } else {
    bus = simulatedMemoryBus(memName).attach();
  }
  const settings = ecuSettings({
    name: options.name ?? 'brake',
    txId: '0x7e0',
    rxId: '0x7e8',
    memory: { address: '0x08000000', addressLength: 4, sizeLength: 4 },
    ...options.ecu,
  });
  const conn = connectEcu(bus, settings, systemClock);
  return {
    sim,
    bus,
    conn,
    busPath: options.link === 'slcan' ? join(dir, 'can0') : `memory:${memName}`,
    close: async () => {
      conn.close();
      await bus.close();
      for (const m of sim) await m.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
