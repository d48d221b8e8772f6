/**
 * FrameBus over Linux SocketCAN (`can0`), through the optional native package `socketcan`
 * (node-can: `createRawChannel(iface)`, `start()`, `send({id, ext, data})`, `'onMessage'` events).
 *
 * Node has no raw CAN sockets of its own, so this binding needs that package, which is not a
 * dependency of soup-agent: it is loaded lazily on first use and its absence is one clear error. The
 * interface must be up (`ip link set can0 up type can bitrate 500000`): the bitrate belongs to the
 * kernel interface, not to this process. Classic CAN only through this binding.
 *
 * Exercised only on real gateways: CI kernels have no CAN support.
 */

import { SoupError } from '../../lib/errors.js';
import { FrameListeners } from './frame-listeners.js';
import type { CanFrame, FrameBus } from './types.js';

interface RawChannel {
  start(): void;
  stop(): void;
  send(message: { id: number; ext: boolean; rtr: boolean; data: Buffer }): void;
  addListener(event: 'onMessage', listener: (msg: { id: number; ext?: boolean; data: Buffer }) => void): void;
  addListener(event: 'onStopped', listener: () => void): void;
}

interface SocketCanModule {
  createRawChannel(iface: string, timestamps?: boolean): RawChannel;
}

async function loadSocketCan(iface: string): Promise<SocketCanModule> {
  const name = 'socketcan';
  try {
    const mod = (await import(name)) as SocketCanModule & { default?: SocketCanModule };
    return typeof mod.createRawChannel === 'function' ? mod : (mod.default as SocketCanModule);
  } catch (err) {
    throw new SoupError(
      'SOUP_E_NOT_BUILT',
      `SocketCAN bus ${iface} needs the optional native package "socketcan" (npm install socketcan), which is not installed; use slcan:<serial path> instead`,
      { cause: err },
    );
  }
}

export async function openSocketCan(iface: string): Promise<FrameBus> {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(iface))
    throw new SoupError('SOUP_E_CONFIG', `SocketCAN interface name "${iface}" is not valid`);
  const lib = await loadSocketCan(iface);
  let channel: RawChannel;
  try {
    channel = lib.createRawChannel(iface, false);
    channel.start();
  } catch (err) {
    throw new SoupError('SOUP_E_IO', `SocketCAN ${iface}: ${(err as Error).message}`, { retryable: true });
  }
  return new SocketCanBus(channel, iface);
}

class SocketCanBus implements FrameBus {
  readonly supportsFd = false;
  private readonly listeners = new FrameListeners();
  private closed = false;

  constructor(
    private readonly channel: RawChannel,
    private readonly iface: string,
  ) {
    channel.addListener('onMessage', (msg) => {
      const frame: CanFrame = {
        id: msg.id,
        extended: msg.ext === true,
        fd: false,
        data: new Uint8Array(msg.data),
      };
      this.listeners.dispatch(frame);
    });
    channel.addListener('onStopped', () => {
      this.closed = true;
    });
  }

  async send(frame: CanFrame): Promise<void> {
    if (this.closed)
      throw new SoupError('SOUP_E_IO', `SocketCAN ${this.iface} is closed`, { retryable: true });
    if (frame.fd)
      throw new SoupError('SOUP_E_IO', `SocketCAN ${this.iface}: CAN FD is not supported by this binding`);
    try {
      this.channel.send({ id: frame.id, ext: frame.extended, rtr: false, data: Buffer.from(frame.data) });
    } catch (err) {
      throw new SoupError('SOUP_E_IO', `SocketCAN ${this.iface}: ${(err as Error).message}`, {
        retryable: true,
      });
    }
  }

  onFrame(filter: (frame: CanFrame) => boolean, listener: (frame: CanFrame) => void): () => void {
    return this.listeners.add(filter, listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.channel.stop();
  }
}
