/**
 * A simulated USB–CAN adapter speaking SLCAN on its serial side (the simulator's end of a pty) and
 * attached to a simulated CAN bus (a paced MemoryCanBus) on the other.
 *
 *   host → adapter: `C` close, `S0`–`S8` bitrate (only while closed), `O` open (also when open),
 *                   `t`/`T` transmit (only while open), `V` version, `N` serial, `F` status, `Z0/Z1`
 *   adapter → host: CR = ok, BEL = error; received frames as `t`/`T` lines while open
 *
 * A pty has no backpressure, so frames the host writes wait in the adapter's transmit queue and leave
 * at the wire's pace (the bus's bit timing); a queue above `maxQueue` frames answers BEL and drops.
 */

import { encodeFrameLine, parseLine, SlcanLineSplitter } from '../../protocols/buses/slcan-codec.js';
import type { ByteStream, CanFrame, FrameBus } from '../../protocols/buses/types.js';

export interface SlcanAdapter {
  readonly stats: { framesToBus: number; framesToHost: number; errors: number };
  close(): void;
}

const CR = Uint8Array.of(0x0d);
const BEL = Uint8Array.of(0x07);

export function startSlcanAdapter(stream: ByteStream, bus: FrameBus, maxQueue = 8192): SlcanAdapter {
  const splitter = new SlcanLineSplitter();
  const stats = { framesToBus: 0, framesToHost: 0, errors: 0 };
  let open = false;
  let queued = 0;
  const write = (bytes: Uint8Array) => {
    if (stream.isOpen) stream.write(bytes).catch(() => {});
  };
  const text = (s: string) => new TextEncoder().encode(s);
  const error = () => {
    stats.errors++;
    write(BEL);
  };
  const offFrames = bus.onFrame(
    () => open,
    (frame: CanFrame) => {
      if (frame.fd) return;
      stats.framesToHost++;
      write(text(encodeFrameLine(frame)));
    },
  );
  const offData = stream.onData((chunk) => {
    for (const token of splitter.push(chunk)) {
      if (token.kind !== 'line') {
        if (token.kind === 'overflow') error();
        continue;
      }
      const line = parseLine(token.line);
      switch (line.kind) {
        case 'ack':
          write(CR);
          break;
        case 'invalid':
          error();
          break;
        case 'frame': {
          if (!open || queued >= maxQueue) {
            error();
            break;
          }
          queued++;
          stats.framesToBus++;
          bus.send(line.frame).then(
            () => queued--,
            () => queued--,
          );
          write(CR);
          break;
        }
        case 'command':
          switch (line.command) {
            case 'C':
              open = false;
              write(CR);
              break;
            case 'O':
              open = true;
              write(CR);
              break;
            case 'S':
              if (open || !/^[0-8]$/.test(line.arg)) error();
              else write(CR);
              break;
            case 'V':
              write(text('V1013\r'));
              break;
            case 'N':
              write(text('NSOUP\r'));
              break;
            case 'F':
              write(text('F00\r'));
              break;
            case 'Z':
              if (/^[01]$/.test(line.arg)) write(CR);
              else error();
              break;
            default:
              error();
          }
          break;
        default: {
          const never: never = line;
          throw new Error(`unhandled ${String(never)}`);
        }
      }
    }
  });
  return {
    stats,
    close: () => {
      offFrames();
      offData();
    },
  };
}
