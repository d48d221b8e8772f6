/**
 * UDS (ISO 14229-1) client over an ISO-TP channel: one request at a time, its positive response back.
 *
 *   request  SID params…          →  positive  SID+0x40 …
 *                                  →  negative  0x7F SID NRC
 *   NRC 0x78 (responsePending): keep waiting, now P2* per pending answer (at most `maxPending` times)
 *   any other NRC: SOUP_E_MODULE_NRC naming the service and the NRC (retryable only for 0x21, 0x94)
 *   no answer within P2 (+ margin for the link): SOUP_E_MODULE_TIMEOUT (retryable)
 *
 * Timing: P2 50 ms and P2* 5000 ms until DiagnosticSessionControl's response says otherwise
 * (bytes 2–3 P2 in ms, bytes 4–5 P2* in units of 10 ms). `p2MarginMs` covers the tester's own link
 * (USB adapter, loaded host) as ISO 14229-2's ΔP2 does.
 *
 * Services: 0x10 session, 0x11 reset, 0x22 read DID, 0x27 seed/key, 0x31 routine, 0x34 download,
 * 0x36 transfer, 0x37 exit, 0x3E tester present (suppressed response, keeps a non-default session).
 */
import { type Clock, systemClock } from '../../lib/clock.js';
import { SoupError } from '../../lib/errors.js';
import type { IsoTpChannel } from '../isotp/channel.js';
import { NRC, nrcName, serviceName } from './nrc.js';

export interface UdsClientOptions {
  /** The ECU's name, for messages. */
  name: string;
  clock?: Clock;
  p2Ms?: number;
  p2StarMs?: number;
  p2MarginMs?: number;
  maxPending?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Sub-function with the suppress-positive-response bit: nothing comes back. */
  suppressResponse?: boolean;
  /**
   * Whether a positive response answers this request (a late answer to an earlier, repeated request
   * of the same service — e.g. the previous TransferData block — is skipped).
   */
  accept?: (response: Uint8Array) => boolean;
}

export type KeyFunction = (seed: Uint8Array, level: number) => Uint8Array | Promise<Uint8Array>;

export class UdsClient {
  p2Ms: number;
  p2StarMs: number;
  private readonly clock: Clock;
  private queue: Promise<unknown> = Promise.resolve();
  private lastRequestAt = 0;

  constructor(
    private readonly channel: IsoTpChannel,
    private readonly options: UdsClientOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.p2Ms = options.p2Ms ?? 50;
    this.p2StarMs = options.p2StarMs ?? 5000;
  }

  get name(): string {
    return this.options.name;
  }

  /** Sends one request and returns the positive response (starting with SID + 0x40). */
  request(payload: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
    const run = this.queue.then(() => this.exchange(payload, options));
    this.queue = run.catch(() => {});
    return run;
  }

  private async exchange(payload: Uint8Array, options: RequestOptions): Promise<Uint8Array> {
    const sid = payload[0]!;
    const margin = this.options.p2MarginMs ?? 250;
    this.channel.clearPending();
    this.lastRequestAt = this.clock.now();
    await this.channel.send(payload, options.signal);
    if (options.suppressResponse) return new Uint8Array(0);
    let timeout = this.p2Ms + margin;
    let pending = 0;
    for (;;) {
      let response: Uint8Array;
      try {
        response = await this.channel.receive(timeout, options.signal);
      } catch (err) {
        if (err instanceof SoupError && err.code === 'SOUP_E_MODULE_TIMEOUT')
          throw new SoupError(
            'SOUP_E_MODULE_TIMEOUT',
            `ECU ${this.name}: no response to ${serviceName(sid)} within ${timeout} ms`,
            { retryable: true, detail: { sid } },
          );
        throw err;
      }
      if (response[0] === 0x7f && response[1] === sid) {
        const nrc = response[2] ?? 0;
        if (nrc === NRC.responsePending) {
          if (++pending > (this.options.maxPending ?? 100))
            throw new SoupError(
              'SOUP_E_MODULE_TIMEOUT',
              `ECU ${this.name}: ${serviceName(sid)} pending too long`,
              {
                retryable: true,
              },
            );
          timeout = this.p2StarMs + margin;
          continue;
        }
        throw nrcError(this.name, sid, nrc);
      }
      if (response[0] === sid + 0x40 && (options.accept?.(response) ?? true)) {
        this.lastRequestAt = this.clock.now();
        return response;
      }
      // an answer to something else (a late response to an earlier request): keep waiting
    }
  }

  /** DiagnosticSessionControl; adopts the P2 / P2* the ECU reports. */
  async startSession(type: number, signal?: AbortSignal): Promise<{ p2Ms: number; p2StarMs: number }> {
    const rsp = await this.request(Uint8Array.of(0x10, type), { signal });
    if (rsp.length >= 6) {
      this.p2Ms = (rsp[2]! << 8) | rsp[3]!;
      this.p2StarMs = ((rsp[4]! << 8) | rsp[5]!) * 10;
    }
    return { p2Ms: this.p2Ms, p2StarMs: this.p2StarMs };
  }

  /** SecurityAccess: requestSeed `level` (odd), sendKey `level + 1`. A zero seed means already unlocked. */
  async unlock(level: number, key: KeyFunction, signal?: AbortSignal): Promise<void> {
    if (level < 1 || level > 0x7d || level % 2 === 0)
      throw new SoupError('SOUP_E_CONFIG', `security.level ${level} must be an odd requestSeed sub-function`);
    const seedRsp = await this.request(Uint8Array.of(0x27, level), { signal });
    const seed = seedRsp.subarray(2);
    if (seed.every((b) => b === 0)) return;
    let computed: Uint8Array;
    try {
      computed = await key(Uint8Array.from(seed), level);
    } catch (err) {
      throw new SoupError(
        'SOUP_E_CONFIG',
        `ECU ${this.name}: key function failed: ${(err as Error).message}`,
      );
    }
    await this.request(Uint8Array.from([0x27, level + 1, ...computed]), { signal });
  }

  /** RoutineControl startRoutine; returns the routine status record. */
  async startRoutine(
    id: number,
    option: Uint8Array = new Uint8Array(0),
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const rsp = await this.request(Uint8Array.from([0x31, 0x01, id >> 8, id & 0xff, ...option]), { signal });
    return rsp.subarray(4);
  }

  /** RequestDownload; returns maxNumberOfBlockLength (service id and counter included). */
  async requestDownload(
    address: bigint,
    size: number,
    addressLength: number,
    sizeLength: number,
    signal?: AbortSignal,
  ): Promise<number> {
    const req = Uint8Array.from([
      0x34,
      0x00,
      (sizeLength << 4) | addressLength,
      ...bigEndian(address, addressLength),
      ...bigEndian(BigInt(size), sizeLength),
    ]);
    const rsp = await this.request(req, { signal });
    const n = (rsp[1] ?? 0) >> 4;
    if (n < 1 || n > 4 || rsp.length < 2 + n)
      throw new SoupError(
        'SOUP_E_MODULE_RC',
        `ECU ${this.name}: RequestDownload response without a block length`,
      );
    let max = 0;
    for (let i = 0; i < n; i++) max = max * 256 + rsp[2 + i]!;
    if (max < 3)
      throw new SoupError('SOUP_E_MODULE_RC', `ECU ${this.name}: maxNumberOfBlockLength ${max} is too small`);
    return max;
  }

  async transferData(counter: number, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    const req = new Uint8Array(2 + data.length);
    req[0] = 0x36;
    req[1] = counter;
    req.set(data, 2);
    await this.request(req, { signal, accept: (rsp) => rsp[1] === counter });
  }

  async requestTransferExit(signal?: AbortSignal): Promise<void> {
    await this.request(Uint8Array.of(0x37), { signal });
  }

  async ecuReset(type = 0x01, signal?: AbortSignal): Promise<void> {
    await this.request(Uint8Array.of(0x11, type), { signal });
  }

  /** ReadDataByIdentifier of one DID; returns its data record. */
  async readDid(did: number, signal?: AbortSignal): Promise<Uint8Array> {
    const rsp = await this.request(Uint8Array.of(0x22, did >> 8, did & 0xff), {
      signal,
      accept: (r) => r[1] === did >> 8 && r[2] === (did & 0xff),
    });
    return rsp.subarray(3);
  }

  /** TesterPresent with suppressed response: keeps a non-default session alive. */
  async testerPresent(signal?: AbortSignal): Promise<void> {
    await this.request(Uint8Array.of(0x3e, 0x80), { signal, suppressResponse: true });
  }

  /**
   * Sends TesterPresent whenever no request went out for `intervalMs` (S3 is 5000 ms; 2000 is
   * the usual tester rate). Returns the stop function.
   */
  keepAlive(intervalMs = 2000): () => void {
    const ac = new AbortController();
    const loop = async () => {
      while (!ac.signal.aborted) {
        const idle = this.clock.now() - this.lastRequestAt;
        await this.clock.sleep(Math.max(1, intervalMs - idle), ac.signal);
        if (this.clock.now() - this.lastRequestAt >= intervalMs) await this.testerPresent(ac.signal);
      }
    };
    loop().catch(() => {});
    return () => ac.abort();
  }
}

export function nrcError(name: string, sid: number, nrc: number): SoupError {
  const label = nrcName(nrc);
  return new SoupError(
    'SOUP_E_MODULE_NRC',
    `ECU ${name}: ${serviceName(sid)} refused: ${label} (0x${nrc.toString(16).padStart(2, '0').toUpperCase()})`,
    {
      retryable: nrc === NRC.busyRepeatRequest || nrc === NRC.resourceTemporarilyNotAvailable,
      detail: { sid, nrc, nrcName: label },
    },
  );
}

/** The NRC of a SOUP_E_MODULE_NRC error, else undefined. */
export function nrcOf(err: unknown): number | undefined {
  if (err instanceof SoupError && err.code === 'SOUP_E_MODULE_NRC')
    return err.detail?.nrc as number | undefined;
  return undefined;
}

export function bigEndian(value: bigint, length: number): number[] {
  const out: number[] = [];
  for (let i = length - 1; i >= 0; i--) out.push(Number((value >> BigInt(8 * i)) & 0xffn));
  return out;
}
