/**
 * ISO-TP reception, pure: frames in, events out (flow control to send, a complete message, an error).
 * The receiver asks for blocks of `blockSize` consecutive frames (0 = all) separated by `stMin`, and
 * answers a first frame longer than `maxLength` with an overflow flow control. N_Cr (time between
 * consecutive frames) is timed by the transport, which calls `abort()` on expiry.
 *
 *   idle ──SF──► message
 *   idle ──FF──► FC(continue) ─► receiving ──CF×BS──► FC(continue) … ──last CF──► message
 *   receiving ──CF with a wrong sequence number──► error, idle
 *   receiving ──SF/FF──► error (interrupted), then the new frame is processed
 */
import type { IsoTpPdu } from './frames.js';

export type RxEvent =
  | { kind: 'flowControl'; pdu: Extract<IsoTpPdu, { type: 'flow' }> }
  | { kind: 'started'; length: number }
  | { kind: 'progress' }
  | { kind: 'message'; data: Uint8Array }
  | { kind: 'error'; reason: string };

export interface ReassemblerOptions {
  blockSize: number;
  /** Raw STmin byte sent in our flow control. */
  stMin: number;
  maxLength: number;
}

interface Receiving {
  buffer: Uint8Array;
  filled: number;
  nextSn: number;
  inBlock: number;
}

export class Reassembler {
  private rx: Receiving | null = null;

  constructor(private readonly options: ReassemblerOptions) {}

  get inProgress(): boolean {
    return this.rx !== null;
  }

  accept(pdu: IsoTpPdu): RxEvent[] {
    switch (pdu.type) {
      case 'single': {
        const events = this.interrupt();
        events.push({ kind: 'message', data: pdu.data });
        return events;
      }
      case 'first': {
        const events = this.interrupt();
        if (pdu.length > this.options.maxLength) {
          events.push({
            kind: 'flowControl',
            pdu: { type: 'flow', status: 'overflow', blockSize: 0, stMin: 0 },
          });
          events.push({
            kind: 'error',
            reason: `first frame announces ${pdu.length} bytes (max ${this.options.maxLength})`,
          });
          return events;
        }
        const buffer = new Uint8Array(pdu.length);
        const take = Math.min(pdu.data.length, pdu.length);
        buffer.set(pdu.data.subarray(0, take));
        this.rx = { buffer, filled: take, nextSn: 1, inBlock: 0 };
        events.push({ kind: 'started', length: pdu.length });
        events.push({ kind: 'flowControl', pdu: this.continueFrame() });
        return events;
      }
      case 'consecutive': {
        const rx = this.rx;
        if (!rx) return [];
        if (pdu.sn !== rx.nextSn) {
          this.rx = null;
          return [{ kind: 'error', reason: `consecutive frame ${pdu.sn}, expected ${rx.nextSn}` }];
        }
        const take = Math.min(pdu.data.length, rx.buffer.length - rx.filled);
        rx.buffer.set(pdu.data.subarray(0, take), rx.filled);
        rx.filled += take;
        rx.nextSn = (rx.nextSn + 1) & 0x0f;
        if (rx.filled === rx.buffer.length) {
          this.rx = null;
          return [{ kind: 'message', data: rx.buffer }];
        }
        if (this.options.blockSize > 0 && ++rx.inBlock === this.options.blockSize) {
          rx.inBlock = 0;
          return [{ kind: 'progress' }, { kind: 'flowControl', pdu: this.continueFrame() }];
        }
        return [{ kind: 'progress' }];
      }
      case 'flow':
        return [];
      default: {
        const never: never = pdu;
        throw new Error(`unknown PDU ${String(never)}`);
      }
    }
  }

  /** Gives up the message being received (N_Cr expired). */
  abort(reason: string): RxEvent[] {
    if (!this.rx) return [];
    this.rx = null;
    return [{ kind: 'error', reason }];
  }

  private interrupt(): RxEvent[] {
    if (!this.rx) return [];
    this.rx = null;
    return [{ kind: 'error', reason: 'reception interrupted by a new message' }];
  }

  private continueFrame(): Extract<IsoTpPdu, { type: 'flow' }> {
    return { type: 'flow', status: 'continue', blockSize: this.options.blockSize, stMin: this.options.stMin };
  }
}
