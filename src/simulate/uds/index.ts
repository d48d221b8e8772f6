/**
 * `startUdsEcus(configs)`: simulated UDS ECUs (`module-protocols.md`).
 *
 * - `link: {slcan: <path>, bitrate}`: the ECUs naming one path share one simulated CAN bus behind one
 *   simulated SLCAN adapter, reachable at <path> (a symlink to a pty made by socat). The bus is paced
 *   at `bitrate` from frame bit counts.
 * - `link: {memory: <name>, bitrate?}`: the ECU joins the in-process MemoryCanBus `simulatedMemoryBus(name)`
 *   (paced when a bitrate is given) — for tests that need no pty.
 *
 * Each handle's `close()` stops its ECU; the adapter, pty and bus go when their last ECU closes.
 */
import { type Clock, systemClock } from '../../lib/clock.js';
import { SoupError } from '../../lib/errors.js';
import { MemoryCanBus } from '../../protocols/buses/memory-bus.js';
import { openSerialPort } from '../../protocols/buses/serial.js';
import type { ByteStream } from '../../protocols/buses/types.js';
import type { KeyFunction } from '../../protocols/uds/client.js';
import { loadKeyFunction } from '../../protocols/uds/security.js';
import { createPtyPair, type PtyPair } from '../pty.js';
import type { SimulatedModule } from '../types.js';
import { parseUdsEcuConfig, type UdsEcuSimConfig } from './config.js';
import { SimulatedEcu } from './ecu.js';
import { type SlcanAdapter, startSlcanAdapter } from './slcan-adapter.js';

export { buildSoupImage } from './image.js';

export interface SimulatedUdsModule extends SimulatedModule {
  ecu: SimulatedEcu;
}

interface SharedBus {
  bus: MemoryCanBus;
  users: number;
  close(): Promise<void>;
}

const memoryBuses = new Map<string, MemoryCanBus>();

/** The in-process bus `link: {memory: name}` ECUs join; created on first use. */
export function simulatedMemoryBus(name: string, bitrate?: number): MemoryCanBus {
  let bus = memoryBuses.get(name);
  if (!bus) {
    bus = new MemoryCanBus(bitrate === undefined ? {} : { bitrate });
    memoryBuses.set(name, bus);
  }
  return bus;
}

export interface StartOptions {
  clock?: Clock;
}

export async function startUdsEcus(
  configs: Record<string, unknown>[],
  options: StartOptions = {},
): Promise<SimulatedUdsModule[]> {
  const clock = options.clock ?? systemClock;
  const parsed = configs.map((c, i) => parseUdsEcuConfig(c, i));
  const keys = await Promise.all(
    parsed.map((c, i) =>
      c.security ? loadKeyFunction(c.security.key, `modules[${i}].security.key`) : Promise.resolve(undefined),
    ),
  );
  const shared = new Map<string, SharedBus>();
  const started: SimulatedUdsModule[] = [];
  try {
    for (const [i, config] of parsed.entries()) {
      const link = config.link;
      const key = link.kind === 'slcan' ? `slcan:${link.path}` : `memory:${link.name}`;
      let entry = shared.get(key);
      if (!entry) {
        entry =
          link.kind === 'slcan'
            ? await slcanBus(link.path, link.bitrate, clock)
            : memoryEntry(link.name, link.bitrate);
        shared.set(key, entry);
      } else if (link.kind === 'slcan' && entry.bus.bitrate !== link.bitrate) {
        throw new SoupError(
          'SOUP_E_CONFIG',
          `modules[${i}].link.bitrate: ${link.path} already runs at ${entry.bus.bitrate}`,
        );
      }
      started.push(
        startOne(config, entry, keys[i], clock, link.kind === 'slcan' ? link.path : `memory:${link.name}`),
      );
    }
  } catch (err) {
    for (const m of started) await m.close();
    for (const e of shared.values()) if (e.users === 0) await e.close();
    throw err;
  }
  return started;
}

function startOne(
  config: UdsEcuSimConfig,
  shared: SharedBus,
  key: KeyFunction | undefined,
  clock: Clock,
  path: string,
): SimulatedUdsModule {
  const endpoint = shared.bus.attach();
  const ecu = new SimulatedEcu(endpoint, config, key, clock);
  shared.users++;
  let closed = false;
  return {
    name: config.name,
    protocol: 'uds',
    path,
    txId: `0x${config.txId.toString(16)}`,
    rxId: `0x${config.rxId.toString(16)}`,
    ecu,
    close: async () => {
      if (closed) return;
      closed = true;
      ecu.close();
      await endpoint.close();
      if (--shared.users === 0) await shared.close();
    },
  };
}

function memoryEntry(name: string, bitrate: number | undefined): SharedBus {
  return {
    bus: simulatedMemoryBus(name, bitrate),
    users: 0,
    close: async () => {
      memoryBuses.delete(name);
    },
  };
}

async function slcanBus(path: string, bitrate: number, clock: Clock): Promise<SharedBus> {
  const bus = new MemoryCanBus({ bitrate, fd: false, clock });
  let pair: PtyPair | undefined;
  let stream: ByteStream | undefined;
  let adapter: SlcanAdapter | undefined;
  try {
    pair = await createPtyPair(path);
    stream = await openSerialPort(pair.peerPath, 115200);
    adapter = startSlcanAdapter(stream, bus.attach());
  } catch (err) {
    await stream?.close();
    await pair?.close();
    throw err;
  }
  return {
    bus,
    users: 0,
    close: async () => {
      adapter?.close();
      await stream?.close();
      await pair?.close();
    },
  };
}
