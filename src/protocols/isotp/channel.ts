/**
 * ISO-TP transport over a FrameBus: one channel per (txId, rxId) pair, used by the UDS client and by
 * the simulated ECU alike.
 *
 *   send:    SF, or FF → wait FC (N_Bs) → CF… honouring the peer's block size and STmin
 *            → wait FC after every block; FC wait restarts N_Bs (at most `maxWaitFrames` times);
 *            FC overflow fails the send
 *   receive: SF, or FF → our FC (our block size and STmin) → CF… each within N_Cr, else the
 *            message is dropped; complete messages queue until `receive` takes them
 *
 * Timeouts (ms): N_Bs 1000, N_Cr 1000 (ISO 15765-2 defaults), all timed with the injected Clock.
 * Frames are filtered by `rxId` and id type (11/29-bit); classic 8-byte or CAN FD 64-byte frames.
 */
import { type Clock, systemClock } from '../../lib/clock.js';
import { SoupError } from '../../lib/errors.js';
import type { CanFrame, FrameBus } from '../buses/types.js';
import { DEFAULT_PADDING, decodePdu, encodePdu, type FrameSize, type IsoTpPdu, stMinToMs } from './frames.js';
import { Reassembler } from './reassembler.js';
import { segment } from './segmenter.js';

export interface IsoTpOptions {
  txId: number;
  rxId: number;
  extended?: boolean;
  fd?: boolean;
  /** Padding byte, or null for no padding of classic frames (default 0xCC). */
  padding?: number | null;
  /** Block size we ask of the sender (0 = no further flow control). */
  blockSize?: number;
  /** Raw STmin byte we ask of the sender. */
  stMin?: number;
  /** Longest message we accept (longer first frames get FC overflow). */
  maxLength?: number;
  nBsMs?: number;
  nCrMs?: number;
  maxWaitFrames?: number;
  clock?: Clock;
  /** For error messages. */
  name?: string;
}

const MAX_QUEUED = 16;
const MAX_ERRORS = 32;
/** Abort reason for internal wake-ups (a reason avoids building a DOMException each time). */
const WOKEN = new Error('woken');

type FlowPdu = Extract<IsoTpPdu, { type: 'flow' }>;

interface Waiter {
  resolve: (data: Uint8Array) => void;
}

export class IsoTpChannel {
  /** The latest reception errors (wrong sequence number, N_Cr…), at most MAX_ERRORS kept. */
  readonly rxErrors: string[] = [];
  /** Reception errors since the channel opened. */
  rxErrorCount = 0;
  private readonly clock: Clock;
  private readonly frameSize: FrameSize;
  private readonly padding: number | null;
  private readonly reassembler: Reassembler;
  private readonly queue: Uint8Array[] = [];
  private waiters: Waiter[] = [];
  private flowWaiter: ((pdu: FlowPdu) => void) | null = null;
  private readonly listeners = new Set<(data: Uint8Array) => void>();
  private readonly off: () => void;
  private crTimer: AbortController | null = null;
  private crDeadline = 0;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: FrameBus,
    private readonly options: IsoTpOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    if (options.fd && !bus.supportsFd)
      throw new SoupError(
        'SOUP_E_CONFIG',
        `${this.name}: CAN FD requested on a bus without CAN FD (SLCAN is classic)`,
      );
    this.frameSize = options.fd ? 64 : 8;
    this.padding = options.padding === undefined ? DEFAULT_PADDING : options.padding;
    this.reassembler = new Reassembler({
      blockSize: options.blockSize ?? 0,
      stMin: options.stMin ?? 0,
      maxLength: options.maxLength ?? 0xffff,
    });
    const extended = options.extended ?? false;
    this.off = bus.onFrame(
      (f) => f.id === options.rxId && f.extended === extended,
      (f) => this.onFrame(f),
    );
  }

  private get name(): string {
    return this.options.name ?? `ISO-TP 0x${this.options.txId.toString(16)}`;
  }

  /** Whether a multi-frame message is being received right now. */
  get receiving(): boolean {
    return this.reassembler.inProgress;
  }

  /** Subscribes to complete messages (in addition to the `receive` queue). */
  onMessage(listener: (data: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Drops messages received but not taken yet (a client does this before a new request). */
  clearPending(): void {
    this.queue.length = 0;
  }

  /**
   * The next complete message. Waits `timeoutMs`; while a multi-frame message is arriving the wait is
   * extended frame by frame (N_Cr decides). Rejects with SOUP_E_MODULE_TIMEOUT.
   */
  async receive(timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
    const queued = this.queue.shift();
    if (queued) return queued;
    let deadline = this.clock.now() + timeoutMs;
    let received: Uint8Array | undefined;
    const wake = new AbortController();
    const waiter: Waiter = {
      resolve: (data) => {
        received = data;
        wake.abort(WOKEN);
      },
    };
    this.waiters.push(waiter);
    const onAbort = () => wake.abort(WOKEN);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const left = deadline - this.clock.now();
        if (left > 0) {
          try {
            await this.clock.sleep(left, wake.signal);
          } catch {
            // woken: a message arrived or the caller aborted
          }
        }
        if (received) return received;
        if (signal?.aborted) throw new SoupError('SOUP_E_CANCELLED', `${this.name}: receive cancelled`);
        if (this.reassembler.inProgress) {
          deadline = this.clock.now() + (this.options.nCrMs ?? 1000);
          continue;
        }
        if (this.clock.now() >= deadline)
          throw new SoupError('SOUP_E_MODULE_TIMEOUT', `${this.name}: no message within ${timeoutMs} ms`, {
            retryable: true,
          });
      }
    } finally {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Sends one message; concurrent sends are serialised. */
  send(message: Uint8Array, signal?: AbortSignal): Promise<void> {
    const run = this.sending.then(() => this.transmit(message, signal));
    this.sending = run.catch(() => {});
    return run;
  }

  private async transmit(message: Uint8Array, signal?: AbortSignal): Promise<void> {
    const pdus = segment(message, this.frameSize);
    const first = pdus.next().value as IsoTpPdu;
    if (first.type === 'single') {
      await this.sendPdu(first);
      return;
    }
    let flow: FlowPdu | null = null;
    const flowQueue: FlowPdu[] = [];
    let flowArrived: (() => void) | null = null;
    this.flowWaiter = (pdu) => {
      flowQueue.push(pdu);
      flowArrived?.();
    };
    try {
      await this.sendPdu(first);
      let blockLeft = 0;
      let sentInBlock = 0;
      for (const cf of pdus) {
        if (signal?.aborted) throw new SoupError('SOUP_E_CANCELLED', `${this.name}: send cancelled`);
        if (flow === null || (flow.blockSize > 0 && blockLeft === 0)) {
          flow = await this.awaitContinue(flowQueue, (f) => {
            flowArrived = f;
          });
          blockLeft = flow.blockSize;
          sentInBlock = 0;
        }
        const gap = stMinToMs(flow.stMin);
        if (sentInBlock > 0 && gap > 0) await this.clock.sleep(Math.ceil(gap), signal);
        await this.sendPdu(cf);
        sentInBlock++;
        if (flow.blockSize > 0) blockLeft--;
      }
    } finally {
      this.flowWaiter = null;
    }
  }

  private async awaitContinue(
    queue: FlowPdu[],
    setArrived: (f: (() => void) | null) => void,
  ): Promise<FlowPdu> {
    const nBs = this.options.nBsMs ?? 1000;
    let waits = 0;
    for (;;) {
      let pdu = queue.shift();
      if (!pdu) {
        const ac = new AbortController();
        setArrived(() => ac.abort(WOKEN));
        try {
          await this.clock.sleep(nBs, ac.signal);
        } catch {
          // woken by a flow control
        }
        setArrived(null);
        pdu = queue.shift();
        if (!pdu)
          throw new SoupError(
            'SOUP_E_MODULE_TIMEOUT',
            `${this.name}: no flow control within N_Bs ${nBs} ms`,
            {
              retryable: true,
            },
          );
      }
      switch (pdu.status) {
        case 'continue':
          return pdu;
        case 'wait':
          if (++waits > (this.options.maxWaitFrames ?? 10))
            throw new SoupError('SOUP_E_MODULE_TIMEOUT', `${this.name}: receiver kept asking to wait`, {
              retryable: true,
            });
          continue;
        case 'overflow':
          throw new SoupError(
            'SOUP_E_IO',
            `${this.name}: receiver refused the message (flow control overflow)`,
          );
        default: {
          const never: never = pdu.status;
          throw new Error(`unknown flow status ${String(never)}`);
        }
      }
    }
  }

  private sendPdu(pdu: IsoTpPdu): Promise<void> {
    return this.bus.send({
      id: this.options.txId,
      extended: this.options.extended ?? false,
      fd: this.options.fd ?? false,
      data: encodePdu(pdu, this.frameSize, this.padding),
    });
  }

  private onFrame(frame: CanFrame): void {
    const decoded = decodePdu(frame.data);
    if (!decoded.ok) return;
    const pdu = decoded.pdu;
    if (pdu.type === 'flow') {
      this.flowWaiter?.(pdu);
      return;
    }
    for (const event of this.reassembler.accept(pdu)) {
      switch (event.kind) {
        case 'flowControl':
          this.sendPdu(event.pdu).catch((err: unknown) => this.noteError(`flow control: ${String(err)}`));
          break;
        case 'started':
        case 'progress':
          this.armCr();
          break;
        case 'message':
          this.disarmCr();
          this.deliver(event.data);
          break;
        case 'error':
          this.disarmCr();
          this.noteError(event.reason);
          break;
        default: {
          const never: never = event;
          throw new Error(`unknown event ${String(never)}`);
        }
      }
    }
  }

  /**
   * N_Cr: each frame only moves a deadline; one timer per message checks it (a timer per frame
   * would cost more than the frame).
   */
  private armCr(): void {
    const nCr = this.options.nCrMs ?? 1000;
    this.crDeadline = this.clock.now() + nCr;
    if (this.crTimer) return;
    const ac = new AbortController();
    this.crTimer = ac;
    const watch = async () => {
      for (;;) {
        await this.clock.sleep(Math.max(1, this.crDeadline - this.clock.now()), ac.signal);
        if (this.clock.now() < this.crDeadline) continue;
        this.crTimer = null;
        for (const e of this.reassembler.abort(`no consecutive frame within N_Cr ${nCr} ms`))
          if (e.kind === 'error') this.noteError(e.reason);
        return;
      }
    };
    watch().catch(() => {});
  }

  private disarmCr(): void {
    this.crTimer?.abort(WOKEN);
    this.crTimer = null;
  }

  private noteError(reason: string): void {
    this.rxErrorCount++;
    this.rxErrors.push(reason);
    if (this.rxErrors.length > MAX_ERRORS) this.rxErrors.shift();
  }

  private deliver(data: Uint8Array): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(data);
      } catch {
        // the listener's failure stays with it
      }
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(data);
    else if (this.listeners.size === 0) {
      this.queue.push(data);
      // nobody reads: keep the newest few only
      if (this.queue.length > MAX_QUEUED) this.queue.shift();
    }
  }

  close(): void {
    this.off();
    this.disarmCr();
    this.flowWaiter = null;
  }
}
