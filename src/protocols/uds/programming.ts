/**
 * UDS programming of one single-bank ECU (`module-protocols.md`), with resume:
 *
 *   0x10 0x02 programming session (P2/P2* from the answer)
 *   0x27 seed → key                              (when security is configured)
 *   0x31 01 <erase id> ALFID addr size            erase (ECUs answer 0x78 pending while erasing)
 *   0x34 00 ALFID addr size → maxNumberOfBlockLength N (SID and counter included: data per block N − 2)
 *   0x36 <counter> data…   counter 0x01, 0x02 … 0xFF, 0x00 …; each positive answer = bytes acknowledged
 *   0x37                   transfer exit
 *   0x31 01 <check id>     check routine
 *
 * Resume: after a lost session (timeout, ECU rebooted: 0x7F / 0x7E / 0x24 / 0x33) the session and
 * security are entered again and RequestDownload asks for `address + acknowledged` and the rest; an
 * ECU refusing that (any NRC) is erased and programmed from the start. A TransferData without an
 * answer is first repeated with the same counter (the ECU accepts a repeated block). Attempts are capped.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import { isRetryable, SoupError } from '../../lib/errors.js';
import { type KeyFunction, nrcOf, type UdsClient } from './client.js';
import { NRC } from './nrc.js';

export interface ImageReader {
  size: number;
  /** Reads `length` bytes at `offset` (never past `size`). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface ProgramTarget {
  address: bigint;
  addressLength: number;
  sizeLength: number;
  eraseRoutine: number;
  checkRoutine: number;
  security?: { level: number; key: KeyFunction };
}

export interface ProgramOptions {
  /** Bytes the ECU acknowledged in an earlier run (checkpoint). */
  startAt: number;
  /** Called after every acknowledged block with the total acknowledged. */
  acknowledged(bytes: number): void;
  clock: Clock;
  log: Logger;
  signal?: AbortSignal;
  maxAttempts?: number;
  retryDelayMs?: number;
  blockRetries?: number;
}

const LOST_SESSION = new Set<number>([
  NRC.serviceNotSupportedInActiveSession,
  NRC.subFunctionNotSupportedInActiveSession,
  NRC.requestSequenceError,
  NRC.securityAccessDenied,
]);

/** Whether the programming sequence may start again after `err` (resuming where it was). */
export function resumable(err: unknown): boolean {
  const nrc = nrcOf(err);
  if (nrc !== undefined) return LOST_SESSION.has(nrc) || isRetryable(err);
  if (err instanceof SoupError && err.code === 'SOUP_E_CANCELLED') return false;
  return isRetryable(err);
}

export async function programEcu(
  client: UdsClient,
  image: ImageReader,
  target: ProgramTarget,
  options: ProgramOptions,
): Promise<void> {
  const { clock, log, signal } = options;
  const size = image.size;
  let acked = options.startAt > 0 && options.startAt <= size ? options.startAt : 0;
  const maxAttempts = options.maxAttempts ?? 6;
  // TesterPresent whenever the sequence idles (retry delays): the programming session must not lapse
  const stopKeepAlive = client.keepAlive(2000);
  try {
    await runAttempts();
  } finally {
    stopKeepAlive();
  }

  async function runAttempts(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.startSession(0x02, signal);
        if (target.security) await client.unlock(target.security.level, target.security.key, signal);
        let maxBlock = 0;
        if (acked > 0 && acked < size) {
          try {
            maxBlock = await client.requestDownload(
              target.address + BigInt(acked),
              size - acked,
              target.addressLength,
              target.sizeLength,
              signal,
            );
            log.info({ ecu: client.name, offset: acked }, 'resuming download');
          } catch (err) {
            if (nrcOf(err) === undefined || LOST_SESSION.has(nrcOf(err)!)) throw err;
            log.warn(
              { ecu: client.name, offset: acked, err },
              'ECU refused to resume: erasing and starting over',
            );
            acked = 0;
            options.acknowledged(0);
          }
        }
        if (acked === size) {
          try {
            await client.startRoutine(target.checkRoutine, undefined, signal);
            return;
          } catch (err) {
            if (nrcOf(err) === undefined || LOST_SESSION.has(nrcOf(err)!)) throw err;
            log.warn({ ecu: client.name, err }, 'check failed on a completed transfer: starting over');
            acked = 0;
            options.acknowledged(0);
          }
        }
        if (acked === 0) {
          const range = Uint8Array.from([
            (target.sizeLength << 4) | target.addressLength,
            ...bytes(target.address, target.addressLength),
            ...bytes(BigInt(size), target.sizeLength),
          ]);
          await client.startRoutine(target.eraseRoutine, range, signal);
          maxBlock = await client.requestDownload(
            target.address,
            size,
            target.addressLength,
            target.sizeLength,
            signal,
          );
        }
        const perBlock = maxBlock - 2;
        let counter = 1;
        // read one block ahead: the file read overlaps the transfer of the block before it
        const readAt = (offset: number) => image.read(offset, Math.min(perBlock, size - offset));
        let next = acked < size ? readAt(acked) : undefined;
        while (acked < size && next) {
          if (signal?.aborted)
            throw new SoupError('SOUP_E_CANCELLED', `ECU ${client.name}: transfer cancelled`);
          const data = await next;
          next = acked + data.length < size ? readAt(acked + data.length) : undefined;
          next?.catch(() => {});
          await transferBlock(client, counter, data, options);
          acked += data.length;
          options.acknowledged(acked);
          counter = (counter + 1) & 0xff;
        }
        await client.requestTransferExit(signal);
        await client.startRoutine(target.checkRoutine, undefined, signal);
        return;
      } catch (err) {
        if (signal?.aborted)
          throw new SoupError(
            'SOUP_E_CANCELLED',
            `ECU ${client.name}: programming cancelled at byte ${acked}`,
            {
              cause: err,
            },
          );
        if (!resumable(err) || attempt >= maxAttempts) throw err;
        log.warn(
          { ecu: client.name, attempt, acknowledged: acked, err },
          'programming interrupted: resuming',
        );
        await clock.sleep(options.retryDelayMs ?? 250, signal).catch((reason: unknown) => {
          throw new SoupError(
            'SOUP_E_CANCELLED',
            `ECU ${client.name}: programming cancelled at byte ${acked}`,
            {
              cause: reason,
            },
          );
        });
      }
    }
  }
}

async function transferBlock(
  client: UdsClient,
  counter: number,
  data: Uint8Array,
  options: ProgramOptions,
): Promise<void> {
  const retries = options.blockRetries ?? 2;
  for (let i = 0; ; i++) {
    try {
      await client.transferData(counter, data, options.signal);
      return;
    } catch (err) {
      const timeout = err instanceof SoupError && err.code === 'SOUP_E_MODULE_TIMEOUT';
      if (!timeout || i >= retries) throw err;
      options.log.debug({ ecu: client.name, counter }, 'TransferData unanswered: repeating the block');
    }
  }
}

function bytes(value: bigint, length: number): number[] {
  const out: number[] = [];
  for (let i = length - 1; i >= 0; i--) out.push(Number((value >> BigInt(8 * i)) & 0xffn));
  return out;
}

/**
 * Reads F189 until it equals `version` (an ECU is silent while it boots): every `intervalMs` up to
 * `timeoutMs`. Throws SOUP_E_MODULE_VERSION naming what the ECU reports.
 */
export async function waitForVersion(
  client: UdsClient,
  version: string,
  options: { clock: Clock; timeoutMs?: number; intervalMs?: number; signal?: AbortSignal; did?: number },
  decode: (data: Uint8Array) => string,
): Promise<void> {
  const { clock } = options;
  const deadline = clock.now() + (options.timeoutMs ?? 15_000);
  let last = 'no answer';
  for (;;) {
    try {
      const running = decode(await client.readDid(options.did ?? 0xf189, options.signal));
      if (running === version) return;
      last = `reports ${running}`;
    } catch (err) {
      if (err instanceof SoupError && err.code === 'SOUP_E_CANCELLED') throw err;
      last = (err as Error).message;
    }
    if (clock.now() >= deadline)
      throw new SoupError(
        'SOUP_E_MODULE_VERSION',
        `ECU ${client.name} ${last}, expected version ${version}`,
        {
          retryable: true,
        },
      );
    await clock.sleep(options.intervalMs ?? 250, options.signal);
  }
}
