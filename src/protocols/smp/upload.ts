/**
 * MCUmgr image upload over an SMP client (`client.ts`): how many data bytes a request carries, how many
 * requests are in flight, and the pipelined upload that follows the module's `off`.
 */
import { SoupError } from '../../lib/errors.js';
import { cancelled, type McumgrParams, type RequestOptions, type SmpClient } from './client.js';
import { type CborMap, encodeMessage } from './codec.js';
import { lineBytesFor } from './framing.js';

/** A random-access reader of the bytes to upload (a file handle; never the whole image in memory). */
export interface UploadSource {
  size: number;
  read(off: number, length: number): Promise<Uint8Array>;
}

export interface UploadOptions {
  /** SHA-256 of the whole upload (sent with the first chunk; identifies the upload for resume). */
  sha: Uint8Array;
  /** Data bytes per request (see `uploadChunkSize`). */
  chunkSize: number;
  /** Where to continue (the last acknowledged `off` we know of); the module's answer wins. */
  startOff?: number;
  image?: number;
  /** Requests in flight at once (≤ the module's `buf_count`; default 1). */
  window?: number;
  signal?: AbortSignal;
  onProgress?(off: number, len: number): void;
}

/** Without MCUmgr parameters a request (length + message + CRC) stays under 1,024 bytes before base64. */
const NO_PARAMS_MAX_MESSAGE = 1023 - 4;

/** A request's place in the pipeline. */
interface InFlight {
  off: number;
  end: number;
  answer: Promise<number>;
}

/**
 * Uploads `source`, continuing where the module says it is. The first request is at `startOff` when
 * given (a continuation the module answers with its own `off`), else at 0 with `len` and `sha` (a
 * Zephyr module resumes an interrupted upload with the same `sha`; MCUboot serial recovery restarts).
 * Then up to `window` requests are in flight (the module processes them in order and holds
 * `buf_count` buffers); an answer with another `off` than expected means the module is elsewhere:
 * the requests in flight settle and the upload goes on from the `off` of the last answer.
 */
export async function uploadImage(
  client: SmpClient,
  source: UploadSource,
  options: UploadOptions,
): Promise<void> {
  const len = source.size;
  const window = Math.max(1, options.window ?? 1);
  // a request in a window also waits for the wire time of the ones before it
  const baud = client.baudRate ?? 0;
  const queuedMs =
    baud > 0 ? Math.ceil(((window - 1) * lineBytesFor(options.chunkSize + 64) * 10_000) / baud) : 0;
  const req: RequestOptions = {
    timeoutMs: client.timeoutMs + queuedMs,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const send = async (off: number): Promise<InFlight> => {
    const n = Math.min(options.chunkSize, len - off);
    const data = await source.read(off, n);
    const first = off === 0;
    const answer = client.uploadChunk(
      {
        off,
        data,
        ...(first ? { len, sha: options.sha } : {}),
        ...(first && options.image !== undefined ? { image: options.image } : {}),
      },
      req,
    );
    answer.catch(() => {}); // awaited below; never an unhandled rejection while others are awaited
    return { off, end: off + n, answer };
  };
  const check = (off: number): number => {
    if (off > len) {
      throw new SoupError(
        'SOUP_E_SMP_PROTOCOL',
        `${client.name}: module acknowledged offset ${off} beyond ${len}`,
      );
    }
    return off;
  };
  const start = options.startOff && options.startOff > 0 && options.startOff < len ? options.startOff : 0;
  // the first request alone: it tells where the module is
  let acked = check(await (await send(start)).answer);
  options.onProgress?.(acked, len);
  let next = acked;
  let stuck = 0;
  const inflight: InFlight[] = [];
  while (acked < len) {
    if (options.signal?.aborted) throw cancelled(client.name, 'image upload');
    while (inflight.length < window && next < len) {
      const sent = await send(next);
      inflight.push(sent);
      next = sent.end;
    }
    const head = inflight.shift();
    if (!head) break;
    const answer = check(await head.answer);
    if (answer === head.end) {
      acked = answer;
      stuck = 0;
      options.onProgress?.(acked, len);
      continue;
    }
    let last = answer;
    for (const c of inflight.splice(0)) last = check(await c.answer);
    stuck = last <= acked ? stuck + 1 : 0;
    if (stuck >= 3) {
      throw new SoupError(
        'SOUP_E_SMP_PROTOCOL',
        `${client.name}: image upload makes no progress at offset ${acked} (module answers off ${last})`,
        { retryable: true },
      );
    }
    acked = last;
    next = last;
    options.onProgress?.(acked, len);
  }
}

/** Data bytes per upload request so that the whole SMP message fits `bufSize` (or < 1,024 bytes). */
export function uploadChunkSize(params: McumgrParams | undefined, len: number, image?: number): number {
  const maxMessage = params ? params.bufSize : NO_PARAMS_MAX_MESSAGE;
  const worst: CborMap = {};
  if (image !== undefined) worst.image = image;
  worst.len = len;
  worst.off = len;
  worst.sha = Buffer.alloc(32);
  worst.data = Buffer.alloc(0);
  // the data byte string's length header grows from 1 byte to 3 (< 64 KiB)
  const overhead = encodeMessage({ op: 2, version: 1, flags: 0, group: 1, seq: 0, id: 1 }, worst).length + 2;
  const chunk = Math.min(maxMessage - overhead, 65535);
  if (chunk < 32) {
    throw new SoupError(
      'SOUP_E_SMP_PROTOCOL',
      `module buffer of ${maxMessage} bytes is too small for an upload`,
    );
  }
  return chunk;
}

/**
 * Requests in flight during an upload: one buffer of the module's `buf_count` stays free for its
 * answer, at most 3 (enough to keep the wire busy), 1 without MCUmgr parameters.
 */
export function uploadWindow(params: McumgrParams | undefined): number {
  return params ? Math.max(1, Math.min(params.bufCount - 1, 3)) : 1;
}
