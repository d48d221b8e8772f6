/**
 * FrameBus over an SLCAN adapter (Lawicel ASCII protocol over a serial ByteStream).
 *
 *   open:  CR CR CR (flush a half-typed line) → `C` (close; BEL tolerated when already closed)
 *          → `S<n>` (bitrate; BEL = adapter refuses) → `O` (open); each answered by CR or BEL,
 *          each within `commandTimeoutMs` (default 1000 ms)
 *   send:  `t`/`T` line; answers (CR, `z`, BEL) are counted, not awaited, so frames pipeline
 *   recv:  `t`/`T` lines from the adapter → subscribers whose filter passes
 *   close: `C`, then the serial stream is closed
 *
 * A serial adapter buffers what the host writes: `send` resolves once the frame would have left the
 * wire at `bitrate` (a virtual transmit-done, as a SocketCAN tx queue gives), so request timers such
 * as UDS P2 start when the request is really on the bus.
 */

import { type Clock, systemClock } from '../../lib/clock.js';
import { SoupError } from '../../lib/errors.js';
import { FrameListeners } from './frame-listeners.js';
import { frameMillis } from './frame-timing.js';
import { bitrateCommand, encodeFrameLine, parseLine, SlcanLineSplitter } from './slcan-codec.js';
import type { ByteStream, CanFrame, FrameBus } from './types.js';

export interface SlcanOptions {
  bitrate: number;
  /** For messages, e.g. `slcan:/dev/ttyACM0`. */
  name?: string;
  clock?: Clock;
  commandTimeoutMs?: number;
  /** Pace `send` at the bitrate (default true). */
  pace?: boolean;
  /** How far ahead of the wire `send` may run, in ms (the adapter's buffer; default 20). */
  txLeadMs?: number;
}

const ENCODER = new TextEncoder();

export class SlcanBus implements FrameBus {
  readonly supportsFd = false;
  /** BEL answers received after open (frames the adapter refused), and invalid lines. */
  readonly stats = { bells: 0, invalidLines: 0, framesIn: 0, framesOut: 0 };
  private readonly listeners = new FrameListeners();
  private readonly splitter = new SlcanLineSplitter();
  private readonly answerWaiters: ((ok: boolean) => void)[] = [];
  private readonly clock: Clock;
  private readonly name: string;
  private opened = false;
  private closed = false;
  private wireFreeAt = 0;
  private writeError: SoupError | null = null;
  private outgoing = '';
  private flushScheduled = false;
  private readonly offData: () => void;
  private readonly offClose: () => void;

  constructor(
    private readonly stream: ByteStream,
    private readonly options: SlcanOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.name = options.name ?? 'slcan';
    this.offData = stream.onData((chunk) => this.onBytes(chunk));
    this.offClose = stream.onClose(() => {
      this.closed = true;
    });
  }

  /** Whether the adapter link is gone (closed locally or unplugged). */
  get isClosed(): boolean {
    return this.closed || !this.stream.isOpen;
  }

  async open(): Promise<void> {
    const s = bitrateCommand(this.options.bitrate);
    if (!s)
      throw new SoupError(
        'SOUP_E_CONFIG',
        `${this.name}: bitrate ${this.options.bitrate} has no SLCAN code (10k, 20k, 50k, 100k, 125k, 250k, 500k, 800k, 1M)`,
      );
    await this.stream.write(new TextEncoder().encode('\r\r\r'));
    await this.clock.sleep(20);
    this.answerWaiters.length = 0;
    await this.command('C', true);
    if (!(await this.command(s, false)))
      throw new SoupError('SOUP_E_IO', `${this.name}: adapter refused bitrate command ${s}`);
    if (!(await this.command('O', false)))
      throw new SoupError('SOUP_E_IO', `${this.name}: adapter refused to open`);
    this.opened = true;
  }

  private async command(cmd: string, bellOk: boolean): Promise<boolean> {
    const timeoutMs = this.options.commandTimeoutMs ?? 1000;
    const ac = new AbortController();
    const answer = new Promise<boolean>((resolve) => this.answerWaiters.push(resolve));
    await this.stream.write(new TextEncoder().encode(`${cmd}\r`));
    const timeout = this.clock.sleep(timeoutMs, ac.signal).then(
      () => 'timeout' as const,
      () => 'cancelled' as const,
    );
    const result = await Promise.race([answer, timeout]);
    ac.abort();
    if (result === 'timeout' || result === 'cancelled')
      throw new SoupError(
        'SOUP_E_MODULE_TIMEOUT',
        `${this.name}: no answer to ${cmd} within ${timeoutMs} ms`,
        {
          retryable: true,
        },
      );
    return result || bellOk;
  }

  private onBytes(chunk: Uint8Array): void {
    for (const token of this.splitter.push(chunk)) {
      switch (token.kind) {
        case 'bell':
          if (!this.answer(false)) this.stats.bells++;
          break;
        case 'overflow':
          this.stats.invalidLines++;
          break;
        case 'line': {
          const parsed = parseLine(token.line);
          switch (parsed.kind) {
            case 'ack':
              this.answer(true);
              break;
            case 'frame':
              if (this.opened) this.dispatch(parsed.frame);
              break;
            case 'command':
            case 'invalid':
              // adapters echo version/serial replies (`V…`, `N…`) that this bus does not ask for
              this.stats.invalidLines++;
              break;
            default: {
              const never: never = parsed;
              throw new Error(`unhandled ${String(never)}`);
            }
          }
          break;
        }
        default: {
          const never: never = token;
          throw new Error(`unhandled ${String(never)}`);
        }
      }
    }
  }

  private answer(ok: boolean): boolean {
    const waiter = this.answerWaiters.shift();
    waiter?.(ok);
    return waiter !== undefined;
  }

  private dispatch(frame: CanFrame): void {
    this.stats.framesIn++;
    this.listeners.dispatch(frame);
  }

  async send(frame: CanFrame): Promise<void> {
    if (this.isClosed) throw new SoupError('SOUP_E_IO', `${this.name} is closed`, { retryable: true });
    if (!this.opened) throw new SoupError('SOUP_E_STATE', `${this.name} is not open`);
    let line: string;
    try {
      line = encodeFrameLine(frame);
    } catch (err) {
      throw new SoupError('SOUP_E_IO', `${this.name}: ${(err as Error).message}`);
    }
    let due = 0;
    if (this.options.pace !== false) {
      const start = Math.max(this.clock.now(), this.wireFreeAt);
      due = start + frameMillis(frame, this.options.bitrate);
      this.wireFreeAt = due;
    }
    if (this.writeError) throw this.writeError;
    this.stats.framesOut++;
    if (this.options.pace === false) {
      await this.stream.write(ENCODER.encode(line));
      return;
    }
    this.queueLine(line);
    const wait = due - (this.options.txLeadMs ?? 20) - this.clock.now();
    if (wait >= 1) await this.clock.sleep(Math.floor(wait));
  }

  /**
   * Lines written in the same turn of the event loop go out as one write: one write per frame would
   * cost more than the frame. serialport keeps writes in order; a failed write fails the next send.
   */
  private queueLine(line: string): void {
    if (this.flushScheduled) {
      this.outgoing += line;
      return;
    }
    // the first line after a pause goes out at once (a first frame waiting for its flow control);
    // what follows in the same turn is coalesced
    this.flushScheduled = true;
    this.writeText(line);
    setImmediate(() => {
      this.flushScheduled = false;
      const text = this.outgoing;
      this.outgoing = '';
      if (text) this.writeText(text);
    });
  }

  private writeText(text: string): void {
    if (this.isClosed) return;
    this.stream.write(ENCODER.encode(text)).catch((err: unknown) => {
      this.writeError = new SoupError('SOUP_E_IO', `${this.name}: ${(err as Error).message}`, {
        retryable: true,
      });
    });
  }

  onFrame(filter: (frame: CanFrame) => boolean, listener: (frame: CanFrame) => void): () => void {
    return this.listeners.add(filter, listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    if (this.stream.isOpen && this.opened) {
      await this.stream.write(new TextEncoder().encode('C\r')).catch(() => {});
    }
    this.offData();
    this.offClose();
    await this.stream.close();
  }
}

/** Opens an SLCAN adapter on `stream` at `bitrate` and returns it as a FrameBus. */
export async function openSlcanBus(stream: ByteStream, options: SlcanOptions): Promise<SlcanBus> {
  const bus = new SlcanBus(stream, options);
  try {
    await bus.open();
  } catch (err) {
    await bus.close().catch(() => {});
    throw err;
  }
  return bus;
}
