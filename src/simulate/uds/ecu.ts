/**
 * A simulated UDS ECU with one flash bank (`module-protocols.md`): the server side of every service
 * the agent uses, over ISO-TP on a FrameBus endpoint, with fault injection (`faults.ts`).
 *
 *   0x10 session 01/02/03 → 50 xx 00 32 01 F4 (P2 50 ms, P2* 5000 ms); any session change relocks
 *        security and ends a download; a non-default session falls back after S3 = 5000 ms idle
 *   0x27 seed (configured level) / key (xor: or module: key function); 3 wrong keys → 0x36, 10 s lock
 *   0x31 01 FF00 erase (0x78 pending for `eraseMs`), 01 FF01 check (SOUPIMG1 header + CRC-32, else 0x72)
 *   0x34 download at bank base + offset, accepted when offset ≤ bytes written since the erase
 *        (resume); answers maxNumberOfBlockLength = `maxBlockLength`
 *   0x36 counter from 0x01, wraps 0xFF → 0x00; a repeated block (same counter) is acknowledged again
 *   0x37 exit · 0x11 reset (answer, then reboot: a checked image starts) · 0x22 F189 running version,
 *   F18C serial number, configured DIDs · 0x3E tester present
 *
 * Flash content survives reboots, as flash does.
 */
import { randomBytes } from 'node:crypto';
import { type Clock, systemClock } from '../../lib/clock.js';
import type { CanFrame, FrameBus } from '../../protocols/buses/types.js';
import { IsoTpChannel } from '../../protocols/isotp/channel.js';
import type { KeyFunction } from '../../protocols/uds/client.js';
import { NRC } from '../../protocols/uds/nrc.js';
import type { UdsEcuSimConfig } from './config.js';
import { FaultPlan } from './faults.js';
import { verifySoupImage } from './image.js';

const S3_MS = 5000;
const BOOT_MS = 50;
const ERASE_ROUTINE = 0xff00;
const CHECK_ROUTINE = 0xff01;

interface Download {
  next: number;
  end: number;
  lastCounter: number;
  lastLength: number;
}

export interface EcuStats {
  requests: number;
  /** Image offsets at which RequestDownload was accepted (0 = from the start). */
  downloads: number[];
  erases: number;
  resets: number;
  bytesWritten: number;
  repeatedBlocks: number;
}

export class SimulatedEcu {
  readonly stats: EcuStats = {
    requests: 0,
    downloads: [],
    erases: 0,
    resets: 0,
    bytesWritten: 0,
    repeatedBlocks: 0,
  };
  readonly faults: FaultPlan;
  runningVersion: string;
  private session = 1;
  private unlocked = false;
  private seed: Uint8Array | null = null;
  private failedKeys = 0;
  private lockedUntil = 0;
  private flash: Buffer | null = null;
  private erased = false;
  private written = 0;
  private pendingVersion: string | null = null;
  private download: Download | null = null;
  private silentUntil = 0;
  private lastRequestAt = 0;
  private readonly channel: IsoTpChannel;
  private work: Promise<void> = Promise.resolve();
  private readonly gate: FrameBus;

  constructor(
    private readonly bus: FrameBus,
    private readonly config: UdsEcuSimConfig,
    private readonly keyFn: KeyFunction | undefined,
    private readonly clock: Clock = systemClock,
  ) {
    this.runningVersion = config.version;
    this.faults = new FaultPlan(config.faults);
    this.gate = this.gatedBus();
    this.channel = new IsoTpChannel(this.gate, {
      txId: config.txId,
      rxId: config.rxId,
      extended: config.extended,
      fd: config.fd,
      clock,
      maxLength: Math.max(config.maxBlockLength, 64),
      name: `simulated ECU ${config.name}`,
    });
    this.channel.onMessage((req) => {
      this.work = this.work.then(() => this.process(req)).catch(() => {});
    });
  }

  get name(): string {
    return this.config.name;
  }

  private get silent(): boolean {
    return this.clock.now() < this.silentUntil;
  }

  /** The endpoint as the ECU's ISO-TP sees it: silent periods and frame faults applied. */
  private gatedBus(): FrameBus {
    const bus = this.bus;
    return {
      supportsFd: bus.supportsFd,
      send: (frame) => (this.silent ? Promise.resolve() : bus.send(frame)),
      onFrame: (filter, listener) =>
        bus.onFrame(filter, (frame: CanFrame) => {
          if (this.silent) return;
          const isCf = (frame.data[0] ?? 0) >> 4 === 2;
          const fate = this.faults.onFrame(this.stats.requests, this.written, isCf);
          if (fate === 'drop') return;
          if (fate === 'corrupt') {
            const data = Uint8Array.from(frame.data);
            data[0] = data[0]! ^ 0x08;
            listener({ ...frame, data });
            return;
          }
          listener(frame);
        }),
      close: () => bus.close(),
    };
  }

  private async process(req: Uint8Array): Promise<void> {
    if (this.silent) return;
    const n = ++this.stats.requests;
    const now = this.clock.now();
    if (this.session !== 1 && now - this.lastRequestAt > S3_MS) this.enterSession(1);
    this.lastRequestAt = now;
    const sid = req[0]!;
    const reachesOffset =
      sid === 0x36 && this.download ? this.download.next + Math.max(0, req.length - 2) : undefined;
    const fault = this.faults.onRequest(
      reachesOffset === undefined ? { requestNo: n } : { requestNo: n, reachesOffset },
    );
    if (fault) {
      switch (fault.type) {
        case 'stall':
          this.silentUntil = now + (fault.durationMs ?? 2000);
          return;
        case 'disconnect':
          this.silentUntil = now + (fault.durationMs ?? 1000);
          this.reboot();
          return;
        case 'reboot':
          this.silentUntil = now + BOOT_MS;
          this.reboot();
          return;
        case 'nrc': {
          const code = fault.nrc ?? NRC.conditionsNotCorrect;
          if (code !== NRC.responsePending) {
            await this.reply(Uint8Array.of(0x7f, sid, code));
            return;
          }
          await this.pending(sid, fault.durationMs ?? 1000);
          break;
        }
        case 'drop-frame':
        case 'corrupt-frame':
        case 'refuse-boot':
          break;
        default: {
          const never: never = fault.type;
          throw new Error(`unknown fault ${String(never)}`);
        }
      }
    }
    const result = await this.serve(req, n);
    if (result.response) await this.reply(result.response);
    result.after?.();
  }

  private async reply(data: Uint8Array): Promise<void> {
    await this.channel.send(data).catch(() => {});
  }

  /** Answers 0x78 now and every 2 s until `ms` have passed. */
  private async pending(sid: number, ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      await this.reply(Uint8Array.of(0x7f, sid, NRC.responsePending));
      const left = end - this.clock.now();
      if (left <= 0) return;
      await this.clock.sleep(Math.min(left, 2000));
      if (this.clock.now() >= end) return;
    }
  }

  private enterSession(session: number): void {
    this.session = session;
    this.unlocked = false;
    this.seed = null;
    this.download = null;
  }

  private reboot(): void {
    this.stats.resets++;
    this.enterSession(1);
  }

  private async serve(
    req: Uint8Array,
    n: number,
  ): Promise<{ response: Uint8Array | null; after?: () => void }> {
    const sid = req[0]!;
    const nrc = (code: number) => ({ response: Uint8Array.of(0x7f, sid, code) });
    const ok = (...bytes: number[]) => ({ response: Uint8Array.from([sid + 0x40, ...bytes]) });
    const programming = () => this.session === 2;
    const secured = () => !this.config.security || this.unlocked;
    switch (sid) {
      case 0x10: {
        if (req.length !== 2) return nrc(NRC.incorrectMessageLengthOrInvalidFormat);
        const sub = req[1]! & 0x7f;
        if (sub < 1 || sub > 3) return nrc(NRC.subFunctionNotSupported);
        this.enterSession(sub);
        return req[1]! & 0x80 ? { response: null } : ok(sub, 0x00, 0x32, 0x01, 0xf4);
      }
      case 0x11: {
        if (req.length !== 2) return nrc(NRC.incorrectMessageLengthOrInvalidFormat);
        const sub = req[1]! & 0x7f;
        if (sub !== 0x01 && sub !== 0x03) return nrc(NRC.subFunctionNotSupported);
        const after = () => {
          this.silentUntil = this.clock.now() + BOOT_MS;
          if (this.pendingVersion !== null && !this.faults.refuseBoot(n)) {
            this.runningVersion = this.pendingVersion;
            this.pendingVersion = null;
          }
          this.reboot();
        };
        return { response: req[1]! & 0x80 ? null : Uint8Array.of(0x51, sub), after };
      }
      case 0x22: {
        if (req.length < 3 || (req.length - 1) % 2 !== 0)
          return nrc(NRC.incorrectMessageLengthOrInvalidFormat);
        const out: number[] = [];
        for (let i = 1; i < req.length; i += 2) {
          const did = (req[i]! << 8) | req[i + 1]!;
          const value = this.didValue(did);
          if (value === undefined) return nrc(NRC.requestOutOfRange);
          out.push(req[i]!, req[i + 1]!, ...Buffer.from(value, 'utf8'));
        }
        return ok(...out);
      }
      case 0x27:
        return this.securityAccess(req);
      case 0x31: {
        if (req.length < 4) return nrc(NRC.incorrectMessageLengthOrInvalidFormat);
        if (req[1] !== 0x01) return nrc(NRC.subFunctionNotSupported);
        if (!programming()) return nrc(NRC.serviceNotSupportedInActiveSession);
        if (!secured()) return nrc(NRC.securityAccessDenied);
        const id = (req[2]! << 8) | req[3]!;
        if (id === ERASE_ROUTINE) {
          if (this.config.eraseMs > 0) await this.pending(sid, this.config.eraseMs);
          this.flash = Buffer.alloc(this.config.memory.size, 0xff);
          this.erased = true;
          this.written = 0;
          this.pendingVersion = null;
          this.download = null;
          this.stats.erases++;
          return ok(0x01, req[2]!, req[3]!, 0x00);
        }
        if (id === CHECK_ROUTINE) {
          if (this.download) return nrc(NRC.requestSequenceError);
          if (!this.flash || !this.erased) return nrc(NRC.generalProgrammingFailure);
          const header = verifySoupImage(this.flash, this.written);
          if (typeof header === 'string') return nrc(NRC.generalProgrammingFailure);
          this.pendingVersion = header.version;
          return ok(0x01, req[2]!, req[3]!, 0x00);
        }
        return nrc(NRC.requestOutOfRange);
      }
      case 0x34: {
        if (!programming()) return nrc(NRC.serviceNotSupportedInActiveSession);
        if (!secured()) return nrc(NRC.securityAccessDenied);
        if (req.length < 3) return nrc(NRC.incorrectMessageLengthOrInvalidFormat);
        const addrLen = req[2]! & 0x0f;
        const sizeLen = req[2]! >> 4;
        if (req[1] !== 0x00 || addrLen < 1 || sizeLen < 1 || addrLen > 8 || sizeLen > 8)
          return nrc(NRC.requestOutOfRange);
        if (req.length !== 3 + addrLen + sizeLen) return nrc(NRC.incorrectMessageLengthOrInvalidFormat);
        const address = readBig(req, 3, addrLen);
        const size = Number(readBig(req, 3 + addrLen, sizeLen));
        const offset = Number(address - this.config.memory.address);
        if (offset < 0 || size < 1 || offset + size > this.config.memory.size)
          return nrc(NRC.requestOutOfRange);
        if (this.download) return nrc(NRC.conditionsNotCorrect);
        if (!this.erased || offset > this.written) return nrc(NRC.uploadDownloadNotAccepted);
        this.download = { next: offset, end: offset + size, lastCounter: 0, lastLength: -1 };
        this.stats.downloads.push(offset);
        const max = this.config.maxBlockLength;
        return ok(0x20, max >> 8, max & 0xff);
      }
      case 0x36: {
        if (!programming()) return nrc(NRC.serviceNotSupportedInActiveSession);
        const d = this.download;
        if (!d) return nrc(NRC.requestSequenceError);
        if (req.length < 3) return nrc(NRC.incorrectMessageLengthOrInvalidFormat);
        const counter = req[1]!;
        const data = req.subarray(2);
        if (data.length > this.config.maxBlockLength - 2)
          return nrc(NRC.incorrectMessageLengthOrInvalidFormat);
        if (counter === d.lastCounter && data.length === d.lastLength) {
          this.stats.repeatedBlocks++;
          return ok(counter);
        }
        if (counter !== ((d.lastCounter + 1) & 0xff)) return nrc(NRC.wrongBlockSequenceCounter);
        if (d.next + data.length > d.end) return nrc(NRC.transferDataSuspended);
        this.flash!.set(data, d.next);
        d.next += data.length;
        d.lastCounter = counter;
        d.lastLength = data.length;
        this.written = Math.max(this.written, d.next);
        this.stats.bytesWritten += data.length;
        return ok(counter);
      }
      case 0x37:
        if (!this.download) return nrc(NRC.requestSequenceError);
        this.download = null;
        return ok();
      case 0x3e: {
        if (req.length !== 2 || (req[1]! & 0x7f) !== 0) return nrc(NRC.subFunctionNotSupported);
        return req[1]! & 0x80 ? { response: null } : ok(0x00);
      }
      default:
        return nrc(NRC.serviceNotSupported);
    }
  }

  private async securityAccess(req: Uint8Array): Promise<{ response: Uint8Array }> {
    const nrc = (code: number) => ({ response: Uint8Array.of(0x7f, 0x27, code) });
    const security = this.config.security;
    if (!security || !this.keyFn) return nrc(NRC.serviceNotSupported);
    if (this.session === 1) return nrc(NRC.serviceNotSupportedInActiveSession);
    if (req.length < 2) return nrc(NRC.incorrectMessageLengthOrInvalidFormat);
    const sub = req[1]! & 0x7f;
    if (sub === security.level) {
      if (this.clock.now() < this.lockedUntil) return nrc(NRC.requiredTimeDelayNotExpired);
      if (this.unlocked) return { response: Uint8Array.of(0x67, sub, 0, 0, 0, 0) };
      let seed = randomBytes(4);
      while (seed.every((b) => b === 0)) seed = randomBytes(4);
      this.seed = Uint8Array.from(seed);
      return { response: Uint8Array.from([0x67, sub, ...this.seed]) };
    }
    if (sub === security.level + 1) {
      if (!this.seed) return nrc(NRC.requestSequenceError);
      const expected = await this.keyFn(this.seed, security.level);
      const key = req.subarray(2);
      this.seed = null;
      if (key.length === expected.length && key.every((b, i) => b === expected[i])) {
        this.unlocked = true;
        this.failedKeys = 0;
        return { response: Uint8Array.of(0x67, sub) };
      }
      if (++this.failedKeys >= 3) {
        this.failedKeys = 0;
        this.lockedUntil = this.clock.now() + 10_000;
        return nrc(NRC.exceededNumberOfAttempts);
      }
      return nrc(NRC.invalidKey);
    }
    return nrc(NRC.subFunctionNotSupported);
  }

  private didValue(did: number): string | undefined {
    if (did === 0xf189) return this.runningVersion;
    if (did === 0xf18c) return this.config.serialNumber;
    return this.config.dids.get(did);
  }

  close(): void {
    this.channel.close();
  }
}

function readBig(bytes: Uint8Array, at: number, length: number): bigint {
  let v = 0n;
  for (let i = 0; i < length; i++) v = (v << 8n) | BigInt(bytes[at + i]!);
  return v;
}
