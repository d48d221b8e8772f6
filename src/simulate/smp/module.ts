/**
 * A simulated SMP module on a pseudo-terminal: the agent opens `link.pty`, the module serves MCUmgr
 * (`device.ts`) on the peer side, pacing both directions to `baud / 10` bytes per second, applying the
 * flash write time and the configured faults (`faults.ts`).
 *
 *   pty bytes ─► Pacer(in) ─► FrameDecoder ─► queue ─► fault? ─► SmpDevice.handle ─► flash time
 *             ◄─ Pacer(out) ◄─ encodeFrames ◄─────────────────────────────────────┘  (reset → boot)
 */
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../../lib/clock.js';
import { silentLogger } from '../../lib/log.js';
import { openSerialPort } from '../../protocols/buses/serial.js';
import type { ByteStream } from '../../protocols/buses/types.js';
import { type CborMap, decodeMessage, encodeMessage, type SmpMessage } from '../../protocols/smp/codec.js';
import { encodeFrames, FrameDecoder } from '../../protocols/smp/framing.js';
import { parseSmpModuleConfig, type SmpModuleSimConfig } from '../config.js';
import { Pacer } from '../pacer.js';
import { createPtyPair, type PtyPair } from '../pty.js';
import type { SimulatedModule } from '../types.js';
import { SmpDevice } from './device.js';
import { FaultPlan, type SmpFault } from './faults.js';

export interface SmpSimulatedModule extends SimulatedModule {
  /** The module's state, for tests and benchmarks. */
  readonly device: SmpDevice;
  /** Requests received, and faults applied so far. */
  readonly counters: { requests: number; faults: Record<string, number>; disconnects: number };
  /** Resolves once the module's link is up (at once unless a `disconnect` fault holds it down). */
  linkUp(): Promise<void>;
}

export interface SmpModuleOptions {
  clock?: Clock;
  log?: Logger;
  /**
   * Opens the module's end of its link, again after a `disconnect` fault (default: a pseudo-terminal
   * at `link.pty`). Tests pass the module end of an in-memory stream.
   */
  openLink?: () => Promise<ByteStream>;
}

const DEFAULT_DURATION: Record<SmpFault['type'], number> = {
  'drop-frame': 0,
  'corrupt-frame': 0,
  stall: 1000,
  disconnect: 300,
  reboot: 100,
  'refuse-boot': 0,
};

export async function startSmpModule(
  raw: Record<string, unknown>,
  options: SmpModuleOptions = {},
): Promise<SmpSimulatedModule> {
  const config = parseSmpModuleConfig(raw, `smp module ${String(raw.name ?? '')}`.trim());
  const module = new SmpModuleServer(
    config,
    options.clock ?? systemClock,
    options.log ?? silentLogger(),
    options.openLink,
  );
  await module.connect();
  return module;
}

class SmpModuleServer implements SmpSimulatedModule {
  readonly name: string;
  readonly protocol = 'smp' as const;
  readonly path: string;
  readonly device: SmpDevice;
  readonly counters = { requests: 0, faults: {} as Record<string, number>, disconnects: 0 };
  private readonly faults: FaultPlan;
  private readonly bytesPerSec: number;
  private readonly inPacer: Pacer;
  private readonly outPacer: Pacer;
  private pair: PtyPair | undefined;
  private port: ByteStream | undefined;
  private decoder = new FrameDecoder({ maxPacketBytes: 65535 });
  private queue: Promise<void> = Promise.resolve();
  private silentUntil = 0;
  private stallUntil = 0;
  private closed = false;
  private readonly timers = new AbortController();
  private upWaiters: (() => void)[] = [];

  constructor(
    private readonly config: SmpModuleSimConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly openLink?: () => Promise<ByteStream>,
  ) {
    this.name = config.name;
    this.path = config.link.pty;
    this.device = new SmpDevice({
      name: config.name,
      mode: config.mode ?? 'application',
      attributes: config.attributes ?? {},
      slotSize: config.slotSize ?? 262144,
      bufSize: config.bufSize ?? 512,
      image: config.image ?? '1.0.0',
      ...(config.serialNumber ? { serialNumber: config.serialNumber } : {}),
    });
    this.faults = new FaultPlan(config.faults ?? []);
    this.bytesPerSec = config.link.baud ? config.link.baud / 10 : 0;
    this.inPacer = new Pacer(this.bytesPerSec, clock);
    this.outPacer = new Pacer(this.bytesPerSec, clock);
  }

  async connect(): Promise<void> {
    let port: ByteStream;
    if (this.openLink) port = await this.openLink();
    else {
      this.pair = await createPtyPair(this.path);
      port = await openSerialPort(this.pair.peerPath, this.config.link.baud ?? 115200);
    }
    this.port = port;
    this.decoder = new FrameDecoder({ maxPacketBytes: 65535 });
    port.onData((chunk) => {
      const copy = new Uint8Array(chunk);
      void this.inPacer.schedule(copy.length, () => this.receive(copy));
    });
    for (const up of this.upWaiters.splice(0)) up();
  }

  linkUp(): Promise<void> {
    if (this.port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.upWaiters.push(resolve));
  }

  private receive(chunk: Uint8Array): void {
    if (this.clock.now() < this.silentUntil) return; // rebooting: bytes are lost
    for (const event of this.decoder.push(chunk)) {
      if (event.kind === 'error') {
        this.log.debug({ module: this.name, reason: event.reason }, 'frame dropped');
        continue;
      }
      let message: SmpMessage;
      try {
        message = decodeMessage(event.body);
      } catch (err) {
        this.log.debug({ module: this.name, err }, 'message dropped');
        continue;
      }
      this.queue = this.queue
        .then(() => this.process(message))
        .catch((err) => {
          this.log.warn({ module: this.name, err }, 'request failed');
        });
    }
  }

  private async process(message: SmpMessage): Promise<void> {
    if (this.closed) return;
    const stall = this.stallUntil - this.clock.now();
    if (stall > 0) await this.sleep(stall);
    if (this.clock.now() < this.silentUntil) return;
    this.counters.requests++;
    const { header, payload } = message;
    const isUpload = header.group === 1 && header.id === 1 && header.op === 2;
    const fault = this.faults.onRequest(
      isUpload && typeof payload.off === 'number' ? payload.off : undefined,
    );
    if (fault) {
      this.counters.faults[fault.type] = (this.counters.faults[fault.type] ?? 0) + 1;
      this.log.info({ module: this.name, fault }, 'fault injected');
    }
    const duration = fault?.durationMs ?? (fault ? DEFAULT_DURATION[fault.type] : 0);
    const faultType = fault?.type;
    switch (faultType) {
      case 'drop-frame':
        return;
      case 'stall':
        this.stallUntil = this.clock.now() + duration;
        await this.sleep(duration);
        break;
      case 'disconnect':
        await this.disconnect(duration);
        return;
      case 'reboot':
        this.reboot(duration);
        return;
      case 'corrupt-frame':
      case 'refuse-boot':
      case undefined:
        break;
      default: {
        const never: never = faultType;
        throw new Error(`unknown fault ${String(never)}`);
      }
    }
    const answer = this.device.handle(header, payload);
    const flashRate = this.config.flashWriteBytesPerSec ?? 0;
    if (answer.flashBytes > 0 && flashRate > 0) await this.sleep((answer.flashBytes * 1000) / flashRate);
    const body = encodeMessage(
      {
        op: (header.op + 1) as 1 | 3,
        version: answer.version,
        flags: 0,
        group: header.group,
        seq: header.seq,
        id: header.id,
      },
      answer.payload as CborMap,
      { indefinite: answer.indefinite },
    );
    const line = encodeFrames(body);
    if (faultType === 'corrupt-frame') {
      const at = Math.floor(line.length / 2);
      line[at] = (line[at] ?? 0) ^ 0x20;
    }
    await this.send(line);
    if (answer.reset) this.reboot(this.config.bootMs ?? 100);
  }

  private send(line: Uint8Array): Promise<void> {
    const port = this.port;
    return this.outPacer.schedule(line.length, async () => {
      if (port?.isOpen) await port.write(line).catch(() => {});
    });
  }

  private reboot(bootMs: number): void {
    const outcome = this.device.boot(() => this.faults.refuseBoot());
    this.log.info({ module: this.name, outcome }, 'module reset');
    this.silentUntil = this.clock.now() + bootMs;
    this.inPacer.clear();
    this.decoder = new FrameDecoder({ maxPacketBytes: 65535 });
  }

  private async disconnect(durationMs: number): Promise<void> {
    this.counters.disconnects++;
    this.inPacer.clear();
    this.outPacer.clear();
    await this.port?.close();
    await this.pair?.close();
    this.port = undefined;
    this.pair = undefined;
    await this.sleep(durationMs);
    if (!this.closed) await this.connect();
  }

  private sleep(ms: number): Promise<void> {
    return this.clock.sleep(ms, this.timers.signal).catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    this.timers.abort();
    this.inPacer.clear();
    this.outPacer.clear();
    await this.port?.close();
    await this.pair?.close();
  }
}
