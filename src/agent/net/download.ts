/**
 * Artifact downloads (`agent.md` step 6): streaming, HTTP Range resume with If-Range after network faults
 * and after restarts (the partial file's hash state is rebuilt by re-reading it, not trusted), free space
 * checked first, SHA-256 checked while streaming, a file longer/shorter/different than declared discarded.
 *
 * Files: `<dest>.part` and its metadata `<dest>.part.json` (`part-file.ts`).
 *
 * One attempt:
 *   1. rebuild: the part file is re-read and hashed (its length is the resume offset); a part file without
 *      matching metadata, or longer than declared, is discarded
 *   2. free space (statfs of dest's folder) ≥ the bytes still missing, else SOUP_E_DOWNLOAD, nothing fetched
 *   3. GET, with `Range: bytes=<offset>-` and `If-Range: <validator>` when resuming
 *      200 → (re)start at 0 · 206 → Content-Range must start at the offset and total the declared size
 *      416 → part discarded, start again at 0 · 401 → auth.unauthorized(), one retry · 404/410 → fail
 *      408/429/5xx → retry after max(back-off, Retry-After)
 *   4. stream the body (`lib/http/request.ts`) into the part file (`write-body.ts`): bytes fill the hasher's
 *      1 MiB buffer (`hasher.ts`), which is written at its offset (awaited: backpressure) and hashed while
 *      the write runs; a background data sync every 32 MiB; more bytes than declared abort the attempt
 *   5. complete → fsync, compare SHA-256, rename to dest, fsync the folder; mismatch → part discarded
 * Network faults (reset, truncation, no byte for `idleTimeoutMs`) keep the part file and resume. An attempt
 * that made no progress counts against `maxAttempts`; one that advanced the offset starts the count anew.
 * A finished download of the wrong length or hash is discarded and fetched once more from 0
 * (`integrityRetries`), then fails with SOUP_E_DOWNLOAD / SOUP_E_HASH.
 */
import { mkdir, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Clock, systemClock } from '../../lib/clock.js';
import { SoupError } from '../../lib/errors.js';
import { requestStream, type StreamResponse } from '../../lib/http/request.js';
import { defaultTransport, type Transport } from '../../lib/http/transport.js';
import type { AuthProvider } from './auth.js';
import { Fault, faultText, Integrity, Unauthorized } from './download-faults.js';
import { streamHasher } from './hasher.js';
import { PartFile, type PartState, validatorOf } from './part-file.js';
import { Backoff, type BackoffOptions, parseRetryAfter } from './polling.js';
import { redactUrl } from './redact.js';
import { writeBody } from './write-body.js';

export { redactUrl };

export interface DownloadRequest {
  url: string;
  /** Final path; the partial file is `<dest>.part` beside it. */
  dest: string;
  size: number;
  sha256: string;
  auth: AuthProvider;
  /** Connections to use (default: the auth provider's, else the shared default). */
  transport?: Transport;
  signal?: AbortSignal;
  /** Attempts without progress on retryable faults before giving up (default 5). */
  maxAttempts?: number;
  onProgress?: (bytes: number, of: number) => void;
  /** No byte (or no response head) for this long is a stall: the attempt is dropped (default 30 s). */
  idleTimeoutMs?: number;
  /** Wait between attempts (default 1 s doubling up to 30 s, ±20 %). */
  backoff?: BackoffOptions;
  /** Full re-downloads after a finished download had the wrong length or hash (default 1). */
  integrityRetries?: number;
  clock?: Clock;
}

export interface DownloadResult {
  path: string;
  /** Bytes taken from an earlier partial file instead of the network. */
  resumedFrom: number;
}

/** Whatever the progress, no download makes more requests than this. */
const HARD_ATTEMPT_CAP = 1000;
/** Redirects followed to an artifact (a CDN); one to another origin carries no credentials. */
const MAX_REDIRECTIONS = 5;
const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, capMs: 30_000, jitter: 0.2 };

/** Resolves once `dest` holds exactly the declared bytes; throws SoupError SOUP_E_DOWNLOAD / SOUP_E_HASH. */
export async function downloadArtifact(request: DownloadRequest): Promise<DownloadResult> {
  return new Download(request).run();
}

class Download {
  private readonly part: PartFile;
  private readonly where: string;
  private readonly clock: Clock;
  private readonly idleMs: number;
  private readonly transport: Transport;
  /** Set once the part file was discarded: nothing of an earlier partial file is in the result. */
  private restarted = false;

  constructor(private readonly req: DownloadRequest) {
    this.part = new PartFile(req.dest, req.size, req.sha256, (at, what, step) => this.fs(at, what, step));
    this.where = redactUrl(req.url);
    this.clock = req.clock ?? systemClock;
    this.idleMs = req.idleTimeoutMs ?? 30_000;
    this.transport = req.transport ?? req.auth.transport ?? defaultTransport();
    if (!Number.isSafeInteger(req.size) || req.size < 0) {
      throw this.error('SOUP_E_DOWNLOAD', `declared size ${req.size} is not a byte count`, 0);
    }
    if (!/^[0-9a-f]{64}$/i.test(req.sha256)) {
      throw this.error(
        'SOUP_E_DOWNLOAD',
        `declared sha256 ${JSON.stringify(req.sha256)} is not 64 hex digits`,
        0,
      );
    }
  }

  private error(
    code: 'SOUP_E_DOWNLOAD' | 'SOUP_E_HASH' | 'SOUP_E_CANCELLED' | 'SOUP_E_IO',
    why: string,
    at: number,
    options: { retryable?: boolean; cause?: unknown; detail?: Record<string, unknown> } = {},
  ): SoupError {
    return new SoupError(code, `download ${this.where}: ${why} (at byte ${at} of ${this.req.size})`, {
      ...options,
      detail: { url: this.where, offset: at, size: this.req.size, ...options.detail },
    });
  }

  async run(): Promise<DownloadResult> {
    const { req } = this;
    await this.fs(0, 'create folder', () => mkdir(dirname(req.dest), { recursive: true }));
    let part = await this.rebuild();
    const resumedFrom = part.offset;
    this.restarted = false;
    const backoff = new Backoff(req.backoff ?? DEFAULT_BACKOFF);
    const maxAttempts = Math.max(1, req.maxAttempts ?? 5);
    let integrityLeft = req.integrityRetries ?? 1;
    let failures = 0;
    let authRetried = false;

    for (let attempt = 1; ; attempt += 1) {
      this.checkAborted(part.offset);
      const before = part.offset;
      try {
        if (part.offset < req.size) {
          await this.checkFreeSpace(req.size - part.offset, part.offset);
          part = await this.fetchInto(part);
        }
        if (part.offset < req.size)
          throw new Integrity(`the server sent ${part.offset} bytes, fewer than declared`);
        await this.finish(part);
        return { path: req.dest, resumedFrom: this.restarted ? 0 : resumedFrom };
      } catch (err) {
        if (err instanceof SoupError) throw err;
        if (req.signal?.aborted)
          throw this.error('SOUP_E_CANCELLED', 'cancelled', part.offset, { cause: err });
        if (err instanceof Integrity) {
          const at = part.offset;
          await this.restart(part);
          if (integrityLeft <= 0) throw this.error(err.code, `${err.message}; discarded`, at);
          integrityLeft -= 1;
          continue;
        }
        if (err instanceof Unauthorized) {
          if (!authRetried && (await req.auth.unauthorized())) {
            authRetried = true;
            continue;
          }
          throw this.error('SOUP_E_DOWNLOAD', 'the server answered 401 Unauthorized', part.offset, {
            detail: { status: 401 },
          });
        }
        if (!(err instanceof Fault)) throw err;
        failures = part.offset > before ? 1 : failures + 1;
        if (failures >= maxAttempts || attempt >= HARD_ATTEMPT_CAP) {
          throw this.error(
            'SOUP_E_DOWNLOAD',
            `${err.message}; gave up after ${attempt} attempts`,
            part.offset,
            {
              retryable: true,
            },
          );
        }
        if (part.offset > before) backoff.reset();
        const wait = Math.max(backoff.next(), err.retryAfterMs ?? 0);
        try {
          await this.clock.sleep(wait, req.signal);
        } catch (cause) {
          throw this.error('SOUP_E_CANCELLED', 'cancelled', part.offset, { cause });
        }
      }
    }
  }

  private checkAborted(at: number): void {
    if (this.req.signal?.aborted) throw this.error('SOUP_E_CANCELLED', 'cancelled', at);
  }

  /** Runs a file-system step; its failure is an I/O error, never retried as a network fault. */
  private async fs<T>(at: number, what: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw this.error('SOUP_E_IO', `cannot ${what} (${code})`, at, { cause: err });
    }
  }

  private fresh(): PartState {
    return { offset: 0, hash: streamHasher(), validator: undefined };
  }

  /** Discards the part file and starts the same state over at byte 0 (callers keep their reference). */
  private async restart(part: PartState): Promise<void> {
    const empty = await this.discard();
    part.offset = empty.offset;
    part.hash = empty.hash;
    part.validator = empty.validator;
  }

  private async discard(): Promise<PartState> {
    this.restarted = true;
    await this.part.discard();
    return this.fresh();
  }

  /** The part file as the resume point (re-read and hashed), else a fresh start. */
  private async rebuild(): Promise<PartState> {
    const rebuilt = await this.part.rebuild(streamHasher);
    return rebuilt ?? (await this.discard());
  }

  private async checkFreeSpace(missing: number, at: number): Promise<void> {
    const fsInfo = await this.fs(at, 'read free space', () => statfs(dirname(this.req.dest)));
    const free = fsInfo.bavail * fsInfo.bsize;
    if (free < missing) {
      throw this.error('SOUP_E_DOWNLOAD', `needs ${missing} more bytes on disk, only ${free} free`, at, {
        detail: { free, missing },
      });
    }
  }

  private async fetchInto(part: PartState): Promise<PartState> {
    const { req } = this;
    const headers: Record<string, string> = { ...(await req.auth.headers()), 'accept-encoding': 'identity' };
    if (part.offset > 0) {
      headers.range = `bytes=${part.offset}-`;
      if (part.validator !== undefined) headers['if-range'] = part.validator;
    }
    let res: StreamResponse;
    try {
      res = await requestStream(this.transport, {
        url: req.url,
        maxRedirections: MAX_REDIRECTIONS,
        headers,
        headersTimeout: this.idleMs,
        bodyTimeout: this.idleMs,
        ...(req.signal ? { signal: req.signal } : {}),
      });
    } catch (err) {
      throw new Fault(`request failed: ${faultText(err)}`);
    }
    const status = res.statusCode;
    const header = (name: string): string | undefined => {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const drain = async () => {
      await res.dump().catch(() => undefined);
    };
    const remaining = req.size - part.offset;
    const length = header('content-length');
    if (status === 200) {
      if (part.offset > 0) await this.restart(part);
      if (length !== undefined && Number(length) !== req.size) {
        await drain();
        throw new Integrity(`the server announces ${length} bytes, declared size is ${req.size}`);
      }
      part.validator = validatorOf(header('etag'), header('last-modified'));
      await this.part.start(part.validator);
    } else if (status === 206) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header('content-range') ?? '');
      if (!range || Number(range[1]) !== part.offset || (range[3] !== '*' && Number(range[3]) !== req.size)) {
        await drain();
        throw new Integrity(
          `Content-Range ${JSON.stringify(header('content-range') ?? '')} does not continue at byte ${part.offset} of ${req.size}`,
        );
      }
      if (length !== undefined && Number(length) !== remaining) {
        await drain();
        throw new Integrity(`the server announces ${length} more bytes, ${remaining} expected`);
      }
    } else {
      await drain();
      const retryAfterMs = parseRetryAfter(header('retry-after'), this.clock.now());
      if (status === 401) throw new Unauthorized();
      if (status === 416) throw new Integrity(`the server refuses the range from byte ${part.offset} (416)`);
      if (status === 408 || status === 429 || status >= 500)
        throw new Fault(`the server answered ${status}`, retryAfterMs);
      throw this.error('SOUP_E_DOWNLOAD', `the server answered ${status}`, part.offset, {
        detail: { status },
      });
    }
    await writeBody(res.body, part, {
      path: this.part.path,
      size: req.size,
      io: (at, what, step) => this.fs(at, what, step),
      onProgress: req.onProgress,
    });
    return part;
  }

  private async finish(part: PartState): Promise<void> {
    const { req } = this;
    const digest = await part.hash.digest();
    if (digest !== req.sha256.toLowerCase()) {
      throw new Integrity(
        `sha256 ${digest} differs from the declared ${req.sha256.toLowerCase()}`,
        'SOUP_E_HASH',
      );
    }
    await this.part.finish(part.offset);
  }
}
