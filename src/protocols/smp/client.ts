/**
 * MCUmgr SMP client over a ByteStream (serial framing, `framing.ts`).
 *
 *   request  → encodeFrames(header(op, v2, group, seq, id) | CBOR)
 *   response ← same seq, op + 1, same group and id; anything else is ignored (late answers to retries)
 * Requests may overlap (image upload keeps up to `window` ≤ `buf_count` chunks in flight); each is
 * matched by its sequence number. The pipelined image upload is `upload.ts`.
 *
 * Timeouts: each attempt waits `timeoutMs` (default 2000) plus the wire time of the request and of a
 * response of up to 512 bytes at `baudRate`; `retries` (default 3) more attempts resend the same
 * request with the same sequence number (every request used here is idempotent; image upload is made so
 * by its `off`). A closed link fails at once (SOUP_E_IO, retryable); no answer at all fails with
 * SOUP_E_MODULE_TIMEOUT (retryable); an error answer fails with SOUP_E_MODULE_RC naming the code.
 *
 * Commands: OS echo (0/0), reset (0/5), MCUmgr parameters (0/6); image state read/write (1/0),
 * upload (1/1), erase (1/5); identity (64/0, application-defined).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import { SoupError } from '../../lib/errors.js';
import type { ByteStream } from '../buses/types.js';
import {
  type CborMap,
  decodeMessage,
  encodeMessage,
  isNotSupported,
  responseError,
  type SmpErrorInfo,
  type SmpMessage,
} from './codec.js';
import { encodeFrames, FrameDecoder, lineBytesFor } from './framing.js';
import { SmpOp } from './header.js';

export const Group = { os: 0, image: 1, identity: 64 } as const;

export interface SmpClientOptions {
  clock: Clock;
  log?: Logger;
  /** The module's name, used in error messages. */
  name?: string;
  timeoutMs?: number;
  retries?: number;
  /** Wire speed, to add the transmission time to each timeout. */
  baudRate?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  retries?: number;
}

export interface ImageSlotState {
  image: number;
  slot: number;
  version: string;
  hash: Uint8Array;
  bootable?: boolean;
  pending?: boolean;
  confirmed?: boolean;
  active?: boolean;
  permanent?: boolean;
}

export interface McumgrParams {
  bufSize: number;
  bufCount: number;
}

/**
 * Sequence numbers continue across clients of this process, so that a late answer meant for an earlier
 * client on the same port (a retried request) never matches a new client's request.
 */
let nextSeq = 0;

const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_RETRIES = 3;

type Pending = { seq: number; op: number; group: number; id: number; resolve(m: SmpMessage): void };

export class SmpClient {
  private readonly decoder = new FrameDecoder();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly life = new AbortController();
  private closedError: SoupError | undefined;
  private readonly closeWaiters = new Set<(err: SoupError) => void>();
  /** The module's name, as error messages give it. */
  readonly name: string;

  constructor(
    private readonly stream: ByteStream,
    private readonly options: SmpClientOptions,
  ) {
    this.name = options.name ?? 'SMP module';
    this.unsubscribe.push(stream.onData((chunk) => this.onData(chunk)));
    this.unsubscribe.push(
      stream.onClose((err) => {
        this.closedError = new SoupError(
          'SOUP_E_IO',
          `${this.name}: link closed${err ? ` (${err.message})` : ''}`,
          { retryable: true },
        );
        for (const w of this.closeWaiters) w(this.closedError);
      }),
    );
  }

  /** Each attempt's own timeout, before the wire time added at `baudRate`. */
  get timeoutMs(): number {
    return this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  get baudRate(): number | undefined {
    return this.options.baudRate;
  }

  /** Stops listening; the stream stays open (the daemon owns it). */
  dispose(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.life.abort();
    this.pending.clear();
  }

  private onData(chunk: Uint8Array): void {
    for (const event of this.decoder.push(chunk)) {
      if (event.kind === 'error') {
        this.options.log?.debug({ reason: event.reason }, 'SMP frame dropped');
        continue;
      }
      let message: SmpMessage;
      try {
        message = decodeMessage(event.body);
      } catch (err) {
        this.options.log?.debug({ err }, 'SMP message dropped');
        continue;
      }
      const h = message.header;
      const p = this.pending.get(h.seq);
      if (p && h.op === p.op + 1 && h.group === p.group && h.id === p.id) {
        this.pending.delete(h.seq);
        p.resolve(message);
      }
    }
  }

  /** Sends one request and returns the response map; throws SOUP_E_MODULE_RC on an error answer. */
  async request(
    op: 'read' | 'write',
    group: number,
    id: number,
    payload: CborMap,
    what: string,
    options: RequestOptions = {},
  ): Promise<CborMap> {
    const opCode = op === 'read' ? SmpOp.read : SmpOp.write;
    const seq = nextSeq;
    nextSeq = (nextSeq + 1) & 0xff;
    const frames = encodeFrames(encodeMessage({ op: opCode, version: 1, flags: 0, group, seq, id }, payload));
    const baud = this.options.baudRate ?? 0;
    const wireMs = baud > 0 ? Math.ceil(((frames.length + lineBytesFor(512)) * 10 * 1000) / baud) : 0;
    const timeoutMs = (options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS) + wireMs;
    const attempts = 1 + (options.retries ?? this.options.retries ?? DEFAULT_RETRIES);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (options.signal?.aborted || this.life.signal.aborted) throw cancelled(this.name, what);
      if (this.closedError) throw this.closedError;
      const answer = this.awaitAnswer({ seq, op: opCode, group, id }, timeoutMs, options.signal);
      // awaited below; until then (the write may fail first) a rejection must not go unhandled
      answer.catch(() => undefined);
      try {
        await this.stream.write(frames);
      } catch (err) {
        this.pending.delete(seq);
        throw new SoupError('SOUP_E_IO', `${this.name}: cannot send ${what}: ${(err as Error).message}`, {
          retryable: true,
          cause: err,
        });
      }
      const message = await answer;
      if (message === 'timeout') {
        this.options.log?.debug({ what, attempt, timeoutMs }, 'SMP request timed out');
        continue;
      }
      const error = responseError(message.payload);
      if (error) throw rcError(this.name, what, error);
      return message.payload;
    }
    throw new SoupError(
      'SOUP_E_MODULE_TIMEOUT',
      `${this.name}: no answer to ${what} after ${attempts} attempts of ${timeoutMs} ms`,
      { retryable: true },
    );
  }

  private awaitAnswer(
    key: Omit<Pending, 'resolve'>,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<SmpMessage | 'timeout'> {
    return new Promise((resolve, reject) => {
      const timer = new AbortController();
      const finish = () => {
        timer.abort();
        signal?.removeEventListener('abort', onAbort);
        this.life.signal.removeEventListener('abort', onAbort);
        this.closeWaiters.delete(onClosed);
        if (this.pending.get(key.seq) === entry) this.pending.delete(key.seq);
      };
      const onAbort = () => {
        finish();
        reject(cancelled(this.name, `request ${key.group}/${key.id}`));
      };
      const onClosed = (err: SoupError) => {
        finish();
        reject(err);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.life.signal.addEventListener('abort', onAbort, { once: true });
      this.closeWaiters.add(onClosed);
      const entry: Pending = {
        ...key,
        resolve: (m) => {
          finish();
          resolve(m);
        },
      };
      this.pending.set(key.seq, entry);
      this.options.clock.sleep(timeoutMs, timer.signal).then(
        () => {
          finish();
          resolve('timeout');
        },
        () => {},
      );
    });
  }

  async echo(text: string, options?: RequestOptions): Promise<string> {
    const rsp = await this.request('write', Group.os, 0, { d: text }, 'echo', options);
    return typeof rsp.r === 'string' ? rsp.r : '';
  }

  async reset(options?: RequestOptions): Promise<void> {
    await this.request('write', Group.os, 5, {}, 'OS reset', options);
  }

  /** MCUmgr parameters, or undefined when the module does not support them (rc 8). */
  async params(options?: RequestOptions): Promise<McumgrParams | undefined> {
    try {
      const rsp = await this.request('read', Group.os, 6, {}, 'MCUmgr parameters', options);
      if (typeof rsp.buf_size !== 'number') return undefined;
      return { bufSize: rsp.buf_size, bufCount: typeof rsp.buf_count === 'number' ? rsp.buf_count : 1 };
    } catch (err) {
      if (isNotSupportedError(err)) return undefined;
      throw err;
    }
  }

  async imageState(options?: RequestOptions): Promise<ImageSlotState[]> {
    const rsp = await this.request('read', Group.image, 0, {}, 'image state read', options);
    return parseImages(rsp, this.name);
  }

  /** `{hash, confirm}`: test (`confirm: false`) or confirm an image; no hash confirms the active one. */
  async imageStateWrite(
    hash: Uint8Array | undefined,
    confirm: boolean,
    options?: RequestOptions,
  ): Promise<ImageSlotState[]> {
    const payload: CborMap = hash ? { hash: Buffer.from(hash), confirm } : { confirm };
    const what = confirm ? 'image confirm' : 'image test';
    const rsp = await this.request('write', Group.image, 0, payload, what, options);
    return parseImages(rsp, this.name);
  }

  async imageErase(slot: number, options?: RequestOptions): Promise<void> {
    await this.request('write', Group.image, 5, { slot }, `image erase of slot ${slot}`, options);
  }

  /** Group 64 identity attributes, or undefined when the module lacks group 64 (rc 8). */
  async identity(options?: RequestOptions): Promise<Record<string, string> | undefined> {
    try {
      const rsp = await this.request('read', Group.identity, 0, {}, 'identity read', options);
      const attrs = rsp.attributes;
      if (attrs === null || typeof attrs !== 'object') return {};
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(attrs as CborMap)) {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
      }
      return out;
    } catch (err) {
      if (isNotSupportedError(err)) return undefined;
      throw err;
    }
  }

  /** One upload request; returns the `off` the module acknowledges (where it wants the next byte). */
  async uploadChunk(
    req: { off: number; data: Uint8Array; len?: number; sha?: Uint8Array; image?: number },
    options?: RequestOptions,
  ): Promise<number> {
    const payload: CborMap = {};
    if (req.image !== undefined) payload.image = req.image;
    if (req.len !== undefined) payload.len = req.len;
    payload.off = req.off;
    if (req.sha) payload.sha = Buffer.from(req.sha);
    payload.data = Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength);
    const rsp = await this.request(
      'write',
      Group.image,
      1,
      payload,
      `image upload at offset ${req.off}`,
      options,
    );
    if (typeof rsp.off !== 'number' || rsp.off < 0) {
      throw new SoupError('SOUP_E_SMP_PROTOCOL', `${this.name}: image upload answer has no valid "off"`);
    }
    return rsp.off;
  }
}

function parseImages(rsp: CborMap, name: string): ImageSlotState[] {
  const list = rsp.images;
  if (!Array.isArray(list)) {
    throw new SoupError('SOUP_E_SMP_PROTOCOL', `${name}: image state answer has no "images" list`);
  }
  const out: ImageSlotState[] = [];
  for (const item of list) {
    if (item === null || typeof item !== 'object') continue;
    const e = item as CborMap;
    const hash = e.hash instanceof Uint8Array ? new Uint8Array(e.hash) : new Uint8Array();
    const slot: ImageSlotState = {
      image: typeof e.image === 'number' ? e.image : 0,
      slot: typeof e.slot === 'number' ? e.slot : 0,
      version: typeof e.version === 'string' ? e.version : '',
      hash,
    };
    for (const flag of ['bootable', 'pending', 'confirmed', 'active', 'permanent'] as const) {
      if (typeof e[flag] === 'boolean') slot[flag] = e[flag];
    }
    out.push(slot);
  }
  return out;
}

function rcError(name: string, what: string, info: SmpErrorInfo): SoupError {
  const where = info.group === undefined ? '' : ` in group ${info.group}`;
  return new SoupError('SOUP_E_MODULE_RC', `${name}: ${what} refused: rc ${info.rc}${where} (${info.name})`, {
    detail: { rc: info.rc, group: info.group, notSupported: isNotSupported(info) },
  });
}

export function isNotSupportedError(err: unknown): boolean {
  return err instanceof SoupError && err.code === 'SOUP_E_MODULE_RC' && err.detail?.notSupported === true;
}

export function cancelled(name: string, what: string): SoupError {
  return new SoupError('SOUP_E_CANCELLED', `${name}: ${what} cancelled`);
}

/** The slot the module runs: the one flagged active, else slot 0 (serial recovery lists no flags). */
export function activeSlot(slots: ImageSlotState[]): ImageSlotState | undefined {
  return slots.find((s) => s.active) ?? slots.find((s) => s.slot === 0 && s.image === 0);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
