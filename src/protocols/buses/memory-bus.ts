/**
 * The in-memory CAN bus: the twin of SocketCAN and SLCAN for unit tests and the simulators.
 *
 * One `MemoryCanBus` is one wire; `attach()` gives each node its own FrameBus endpoint. A frame sent by
 * one endpoint reaches every other endpoint (never its sender), in send order. With `bitrate` set the
 * wire is paced: each frame occupies the bus for its bit time (`frame-timing.ts`), frames queue behind
 * each other on the one wire, and `send` resolves once the frame is queued within `txLeadMs` of its
 * turn (a controller's transmit queue).
 * Without `bitrate` delivery is immediate (next microtask), for logic tests.
 *
 * The pacing keeps a virtual "wire free at" time, so a late timer does not slow the average rate: a
 * frame whose due time has passed is delivered at once.
 */

import { type Clock, systemClock } from '../../lib/clock.js';
import { SoupError } from '../../lib/errors.js';
import { FrameListeners } from './frame-listeners.js';
import { frameMillis } from './frame-timing.js';
import type { CanFrame, FrameBus } from './types.js';

export interface MemoryBusOptions {
  /** Bits per second; frames are paced at their bit time. Omit for an unpaced bus. */
  bitrate?: number;
  /**
   * How far ahead of the wire a sender may run (ms) on a paced bus: `send` resolves once its frame is
   * due within this window, as a controller's transmit queue does. Late timers are then absorbed by
   * frames already queued instead of leaving the wire idle. Default 5 ms.
   */
  txLeadMs?: number;
  /** Whether endpoints accept CAN FD frames (default true). */
  fd?: boolean;
  clock?: Clock;
}

interface Pending {
  from: Endpoint;
  frame: CanFrame;
  due: number;
  done: () => void;
}

export class MemoryCanBus {
  readonly bitrate: number | undefined;
  readonly fd: boolean;
  private readonly clock: Clock;
  private readonly txLeadMs: number;
  private readonly endpoints = new Set<Endpoint>();
  private readonly queue: Pending[] = [];
  private wireFreeAt = 0;
  private pumping = false;
  /** Frames carried so far (for tests and statistics). */
  framesCarried = 0;

  constructor(options: MemoryBusOptions = {}) {
    this.bitrate = options.bitrate;
    this.fd = options.fd ?? true;
    this.clock = options.clock ?? systemClock;
    this.txLeadMs = options.txLeadMs ?? 5;
  }

  /** A new node on this wire. */
  attach(): FrameBus {
    const endpoint = new Endpoint(this);
    this.endpoints.add(endpoint);
    return endpoint;
  }

  /** @internal */
  detach(endpoint: Endpoint): void {
    this.endpoints.delete(endpoint);
  }

  /** @internal */
  async enqueue(from: Endpoint, frame: CanFrame): Promise<void> {
    let due = 0;
    if (this.bitrate !== undefined) {
      const start = Math.max(this.clock.now(), this.wireFreeAt);
      due = start + frameMillis(frame, this.bitrate);
      this.wireFreeAt = due;
    }
    const delivered = new Promise<void>((resolve) => {
      this.queue.push({ from, frame: copyFrame(frame), due, done: resolve });
    });
    if (!this.pumping) {
      this.pumping = true;
      queueMicrotask(() => void this.pump());
    }
    if (this.bitrate === undefined) return delivered;
    // transmit queue: resolve once the frame is due within the lead window
    const wait = due - this.txLeadMs - this.clock.now();
    if (wait >= 1) await this.clock.sleep(Math.floor(wait));
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const head = this.queue[0];
        if (!head) return;
        const wait = head.due - this.clock.now();
        if (wait >= 1) await this.clock.sleep(Math.floor(wait));
        this.queue.shift();
        this.framesCarried++;
        for (const endpoint of this.endpoints) if (endpoint !== head.from) endpoint.deliver(head.frame);
        head.done();
      }
    } finally {
      this.pumping = false;
    }
  }
}

class Endpoint implements FrameBus {
  private readonly listeners = new FrameListeners();
  private closed = false;

  constructor(private readonly wire: MemoryCanBus) {}

  get supportsFd(): boolean {
    return this.wire.fd;
  }

  send(frame: CanFrame): Promise<void> {
    if (this.closed) return Promise.reject(new SoupError('SOUP_E_IO', 'memory CAN bus endpoint is closed'));
    const max = frame.fd ? 64 : 8;
    if (frame.fd && !this.wire.fd)
      return Promise.reject(new SoupError('SOUP_E_IO', 'memory CAN bus: CAN FD frame on a classic bus'));
    if (frame.data.length > max)
      return Promise.reject(
        new SoupError('SOUP_E_IO', `memory CAN bus: ${frame.data.length} data bytes exceed ${max}`),
      );
    return this.wire.enqueue(this, frame);
  }

  onFrame(filter: (frame: CanFrame) => boolean, listener: (frame: CanFrame) => void): () => void {
    return this.listeners.add(filter, listener);
  }

  /** @internal */
  deliver(frame: CanFrame): void {
    if (this.closed) return;
    this.listeners.dispatch(frame, copyFrame);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.wire.detach(this);
  }
}

function copyFrame(frame: CanFrame): CanFrame {
  return { id: frame.id, extended: frame.extended, fd: frame.fd, data: Uint8Array.from(frame.data) };
}
