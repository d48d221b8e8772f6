/**
 * The daemon's real LinkProvider: one open instance per serial path and per CAN bus, shared by every
 * module on it (`slcan:<path>` → SLCAN over a serial port, `canX` → SocketCAN). Owner: can.
 */
import { notBuilt } from '../../lib/errors.js';
import type { LinkProvider } from './types.js';

export function createLinkProvider(): LinkProvider & { closeAll(): Promise<void> } {
  return notBuilt('module links');
}
