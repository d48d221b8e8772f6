/**
 * The daemon's real LinkProvider: one open instance per serial path and per CAN bus, shared by every
 * module on it and kept open across jobs (`slcan:<path>` → SLCAN over a serial port, `canX` →
 * SocketCAN). A link that went away (adapter unplugged) is reopened on the next request.
 */
import { type Clock, systemClock } from '../../lib/clock.js';
import { SoupError } from '../../lib/errors.js';
import { openSlcanBus } from './slcan.js';
import { openSocketCan } from './socketcan.js';
import type { ByteStream, FrameBus, LinkProvider } from './types.js';

export interface LinkProviderOptions {
  clock?: Clock;
  /** Baud rate of the serial line to an SLCAN adapter (USB CDC adapters ignore it). */
  slcanBaudRate?: number;
}

interface OpenBus {
  bitrate: number;
  bus: Promise<FrameBus>;
}

/** serialport (native bindings, ~9 MB resident) is loaded when the first serial link opens. */
async function openSerialPort(path: string, baudRate: number): Promise<ByteStream> {
  return (await import('./serial.js')).openSerialPort(path, baudRate);
}

export function createLinkProvider(
  options: LinkProviderOptions = {},
): LinkProvider & { closeAll(): Promise<void> } {
  const clock = options.clock ?? systemClock;
  const serials = new Map<string, Promise<ByteStream>>();
  const buses = new Map<string, OpenBus>();

  const serial = async (path: string, baudRate: number): Promise<ByteStream> => {
    const open = serials.get(path);
    if (open) {
      const stream = await open.catch(() => undefined);
      if (stream?.isOpen) return stream;
    }
    const opening = openSerialPort(path, baudRate);
    serials.set(path, opening);
    opening.catch(() => serials.delete(path));
    return opening;
  };

  const can = async (name: string, bitrate: number): Promise<FrameBus> => {
    const open = buses.get(name);
    if (open) {
      if (open.bitrate !== bitrate)
        throw new SoupError(
          'SOUP_E_CONFIG',
          `CAN bus ${name} is already open at ${open.bitrate} bit/s, not ${bitrate}`,
        );
      const bus = await open.bus.catch(() => undefined);
      if (bus && !isGone(bus)) return bus;
    }
    const opening = openBus(name, bitrate);
    buses.set(name, { bitrate, bus: opening });
    opening.catch(() => buses.delete(name));
    return opening;
  };

  const openBus = async (name: string, bitrate: number): Promise<FrameBus> => {
    if (name.startsWith('slcan:')) {
      const path = name.slice('slcan:'.length);
      if (!path) throw new SoupError('SOUP_E_CONFIG', `CAN bus "${name}" names no serial path`);
      const stream = await openSerialPort(path, options.slcanBaudRate ?? 115200);
      return openSlcanBus(stream, { bitrate, name, clock });
    }
    return openSocketCan(name);
  };

  return {
    serial,
    can,
    closeAll: async () => {
      const all: Promise<void>[] = [];
      for (const s of serials.values()) all.push(s.then((x) => x.close()).catch(() => {}));
      for (const b of buses.values()) all.push(b.bus.then((x) => x.close()).catch(() => {}));
      serials.clear();
      buses.clear();
      await Promise.all(all);
    },
  };
}

function isGone(bus: FrameBus): boolean {
  return 'isClosed' in bus && (bus as { isClosed: boolean }).isClosed;
}
