/**
 * Handler `smp-image`: an MCUboot image onto a serial module speaking MCUmgr SMP (`module-protocols.md`).
 *
 *   prepare   read the image's MCUboot header + SHA-256 TLV (version must be the recipe's); image state
 *             read: remember the running image (to check a revert) and whether the module is MCUboot
 *             serial recovery
 *   transfer  MCUmgr parameters → chunk size (buf_size) and requests in flight (buf_count - 1, ≤ 3);
 *             upload (group 1 cmd 1) to the secondary slot (serial recovery: the primary, one at a
 *             time), resuming at the `off` the module acknowledges; progress is
 *             checkpointed every 16 KiB; then image state must list the image
 *   activate  image state write {hash, confirm:false} (test) → OS reset → echo until it answers
 *             (serial recovery: reset → echo)
 *   verify    image state: the active slot holds the new hash and version, else the failure says what
 *             runs instead (MCUboot went back when the new image did not boot)
 *   commit    image state write {hash, confirm:true}; serial recovery: nothing to do
 *   revert    reset without confirming (MCUboot swaps back), check the old image runs; a test that was
 *             marked but never booted is cancelled by erasing the secondary slot. Serial recovery
 *             cannot revert: `revertible()` is false for modules reporting `smpMode: serial-recovery`.
 *
 * Timeouts: per request as the SMP client (module config `timeoutMs`, default 2000 ms + wire time,
 * 3 retries); after a reset, echo every 500 ms for up to `bootTimeoutMs` (default 30 s).
 * The link comes from `ctx.links` and stays open (the daemon holds one port per path).
 */
import { open } from 'node:fs/promises';
import type { ModuleConfig, SerialModuleConfig } from '../inventory/module-config.js';
import { isSoupError, SoupError } from '../lib/errors.js';
import { activeSlot, hex, type ImageSlotState, SmpClient } from '../protocols/smp/client.js';
import { readMcubootImageInfo, sameVersion } from '../protocols/smp/mcuboot-image.js';
import { uploadChunkSize, uploadImage, uploadWindow } from '../protocols/smp/upload.js';
import type { Handler, HandlerContext, HandlerJob } from './types.js';

export const SERIAL_RECOVERY = 'serial-recovery';

export interface SmpImageHandlerOptions {
  /** How long a module may take to answer echo after a reset (default 30000 ms). */
  bootTimeoutMs?: number;
}

interface Checkpoint {
  /** SHA-256 (hex) of the image being installed. */
  sha: string;
  /** Last upload offset the module acknowledged. */
  off: number;
  recovery: boolean;
  /** The image the module ran before (to check a revert). */
  oldHash?: string;
  oldVersion?: string;
}

const CHECKPOINT_EVERY_BYTES = 16 * 1024;
const ECHO_INTERVAL_MS = 500;

export function createSmpImageHandler(options: SmpImageHandlerOptions = {}): Handler {
  const bootTimeoutMs = options.bootTimeoutMs ?? 30_000;

  async function session<T>(
    job: HandlerJob,
    ctx: HandlerContext,
    run: (s: Session) => Promise<T>,
  ): Promise<T> {
    const entry = serialEntry(job.module.config, job.module.name);
    const s = new Session(job, ctx, entry);
    await s.connect();
    try {
      return await run(s);
    } finally {
      s.dispose();
    }
  }

  const revertible = (job: HandlerJob): boolean => job.module.attributes.smpMode !== SERIAL_RECOVERY;

  return {
    type: 'smp-image',
    revertible,

    async prepare(job, ctx) {
      const info = await readMcubootImageInfo(job.image.path);
      if (!sameVersion(info.version, job.version)) {
        throw new SoupError(
          'SOUP_E_IMAGE',
          `${job.image.filename}: MCUboot header says version ${info.version}, the recipe says ${job.version}`,
        );
      }
      await session(job, ctx, async (s) => {
        const slots = await s.client.imageState(s.req());
        const params = await s.client.params(s.req());
        const recovery = params === undefined && !slots.some((x) => x.active !== undefined);
        if (recovery && revertible(job)) {
          ctx.log.warn(
            { module: job.module.name },
            'module is MCUboot serial recovery (cannot revert) but was not reported with smpMode serial-recovery',
          );
        }
        const previous = ctx.checkpoint.load<Checkpoint>();
        const active = activeSlot(slots);
        const cp: Checkpoint =
          previous && previous.sha === job.image.sha256
            ? { ...previous, recovery }
            : {
                sha: job.image.sha256,
                off: 0,
                recovery,
                ...(active ? { oldHash: hex(active.hash), oldVersion: active.version } : {}),
              };
        ctx.checkpoint.save(cp);
      });
    },

    async transfer(job, ctx) {
      await session(job, ctx, async (s) => {
        const cp = s.checkpoint();
        const info = await readMcubootImageInfo(job.image.path);
        const newHash = hex(info.hash);
        const slots = await s.client.imageState(s.req());
        const holding = slots.find((x) => hex(x.hash) === newHash);
        if (holding && (cp.recovery ? holding.slot === 0 : true)) {
          ctx.progress(job.image.size, job.image.size);
          return;
        }
        const params = await s.client.params(s.req());
        const chunkSize = uploadChunkSize(params, job.image.size);
        const fh = await open(job.image.path, 'r');
        let saved = cp.off;
        try {
          await uploadImage(
            s.client,
            {
              size: job.image.size,
              read: async (off, n) => {
                const buf = Buffer.alloc(n);
                const { bytesRead } = await fh.read(buf, 0, n, off);
                return buf.subarray(0, bytesRead);
              },
            },
            {
              sha: Buffer.from(job.image.sha256, 'hex'),
              chunkSize,
              // requests in flight keep the wire busy while the module writes flash
              window: uploadWindow(params),
              startOff: cp.off,
              signal: ctx.signal,
              onProgress: (off, len) => {
                ctx.progress(off, len);
                if (Math.abs(off - saved) >= CHECKPOINT_EVERY_BYTES || off === len) {
                  saved = off;
                  ctx.checkpoint.save<Checkpoint>({ ...cp, off });
                }
              },
            },
          );
        } finally {
          await fh.close();
        }
        const after = await s.client.imageState(s.req());
        const slot = after.find((x) => hex(x.hash) === newHash);
        if (!slot) {
          throw new SoupError(
            'SOUP_E_MODULE_VERIFY',
            `${job.module.name}: upload finished but image state does not list the new image (${newHash.slice(0, 16)}…)`,
            { retryable: true },
          );
        }
      });
    },

    async activate(job, ctx) {
      await session(job, ctx, async (s) => {
        const cp = s.checkpoint();
        const newHash = (await readMcubootImageInfo(job.image.path)).hash;
        if (!cp.recovery) {
          const slots = await s.client.imageState(s.req());
          const active = activeSlot(slots);
          if (active && hex(active.hash) === hex(newHash)) return; // already booted into it
          const target = slots.find((x) => hex(x.hash) === hex(newHash));
          if (!target) {
            throw new SoupError(
              'SOUP_E_STATE',
              `${job.module.name}: the new image is not on the module; transfer it first`,
            );
          }
          if (!target.pending) await s.client.imageStateWrite(newHash, false, s.req());
        }
        await s.resetAndWait(bootTimeoutMs);
      });
    },

    async verify(job, ctx) {
      await session(job, ctx, async (s) => {
        const cp = s.checkpoint();
        const newHash = hex((await readMcubootImageInfo(job.image.path)).hash);
        const slots = await s.client.imageState(s.req());
        const active = activeSlot(slots);
        if (active && hex(active.hash) === newHash && sameVersion(active.version, job.version)) return;
        const runs = active ? active.version : 'no image';
        if (cp.recovery) {
          throw new SoupError(
            'SOUP_E_MODULE_VERIFY',
            `${job.module.name}: primary slot holds ${runs} after the update, expected ${job.version}`,
          );
        }
        const waiting = slots.find((x) => x.slot !== active?.slot && hex(x.hash) === newHash);
        const why = waiting
          ? waiting.pending
            ? ' (the test swap has not happened: was the module reset?)'
            : ' (the new image did not boot; MCUboot went back to the old one)'
          : '';
        throw new SoupError(
          'SOUP_E_MODULE_VERIFY',
          `${job.module.name}: runs ${runs} after the test boot, expected ${job.version}${why}`,
        );
      });
    },

    async commit(job, ctx) {
      await session(job, ctx, async (s) => {
        const cp = s.checkpoint();
        if (cp.recovery) return;
        const newHash = (await readMcubootImageInfo(job.image.path)).hash;
        const slots = await s.client.imageState(s.req());
        const active = activeSlot(slots);
        if (!active || hex(active.hash) !== hex(newHash)) {
          throw new SoupError(
            'SOUP_E_STATE',
            `${job.module.name}: cannot confirm ${job.version}: the module runs ${active?.version ?? 'no image'}`,
          );
        }
        if (active.confirmed) return;
        const after = await s.client.imageStateWrite(newHash, true, s.req());
        if (!activeSlot(after)?.confirmed) {
          throw new SoupError(
            'SOUP_E_MODULE_VERIFY',
            `${job.module.name}: image ${job.version} is still not confirmed`,
            {
              retryable: true,
            },
          );
        }
      });
    },

    async revert(job, ctx) {
      await session(job, ctx, async (s) => {
        const cp = s.checkpoint();
        if (cp.recovery) {
          throw new SoupError(
            'SOUP_E_STATE',
            `${job.module.name}: MCUboot serial recovery keeps one image and cannot revert`,
          );
        }
        const newHash = hex((await readMcubootImageInfo(job.image.path)).hash);
        let slots = await s.client.imageState(s.req());
        let active = activeSlot(slots);
        if (active && hex(active.hash) === newHash) {
          if (active.confirmed) {
            throw new SoupError(
              'SOUP_E_STATE',
              `${job.module.name}: ${job.version} is already confirmed and cannot be reverted`,
            );
          }
          await s.resetAndWait(bootTimeoutMs);
          slots = await s.client.imageState(s.req());
          active = activeSlot(slots);
        } else if (slots.some((x) => x.pending && hex(x.hash) === newHash)) {
          // marked for a test boot that has not happened: cancel it
          await s.client.imageErase(1, s.req());
          slots = await s.client.imageState(s.req());
          active = activeSlot(slots);
        }
        const runs = active ? hex(active.hash) : '';
        if (runs === newHash || (cp.oldHash !== undefined && runs !== cp.oldHash)) {
          throw new SoupError(
            'SOUP_E_MODULE_VERIFY',
            `${job.module.name}: runs ${active?.version ?? 'no image'} after the revert, expected ${cp.oldVersion ?? job.fromVersion ?? 'the old image'}`,
            { retryable: true },
          );
        }
      });
    },
  };
}

function serialEntry(config: ModuleConfig, name: string): SerialModuleConfig {
  if (config.kind !== 'serial' || config.entry.protocol !== 'smp') {
    throw new SoupError(
      'SOUP_E_STATE',
      `${name}: smp-image installs on serial SMP modules only (this one is ${config.kind})`,
    );
  }
  return config.entry;
}

class Session {
  client!: SmpClient;

  constructor(
    private readonly job: HandlerJob,
    private readonly ctx: HandlerContext,
    private readonly entry: SerialModuleConfig,
  ) {}

  async connect(): Promise<void> {
    const port = await this.ctx.links.serial(this.entry.path, this.entry.baudRate);
    this.client = new SmpClient(port, {
      clock: this.ctx.clock,
      log: this.ctx.log,
      name: this.job.module.name,
      baudRate: this.entry.baudRate,
      ...(this.entry.timeoutMs ? { timeoutMs: this.entry.timeoutMs } : {}),
    });
  }

  dispose(): void {
    this.client.dispose();
  }

  req(): { signal: AbortSignal } {
    return { signal: this.ctx.signal };
  }

  checkpoint(): Checkpoint {
    const cp = this.ctx.checkpoint.load<Checkpoint>();
    if (!cp || cp.sha !== this.job.image.sha256) {
      throw new SoupError('SOUP_E_STATE', `${this.job.module.name}: smp-image step run before prepare`);
    }
    return cp;
  }

  /** OS reset, then echo until the module answers (reopening the link if it went away). */
  async resetAndWait(bootTimeoutMs: number): Promise<void> {
    try {
      await this.client.reset(this.req());
    } catch (err) {
      // the answer may be lost to the reset itself; echo below tells whether the module is back
      if (!isSoupError(err, 'SOUP_E_MODULE_TIMEOUT') && !isSoupError(err, 'SOUP_E_IO')) throw err;
    }
    const deadline = this.ctx.clock.now() + bootTimeoutMs;
    let linkDown = false;
    for (;;) {
      try {
        if (linkDown) {
          // the module's USB/serial link went away with the reset: open it again (it may take a while)
          this.dispose();
          await this.connect().catch((cause: unknown) => {
            throw new SoupError('SOUP_E_IO', `${this.job.module.name}: link not back yet`, { cause });
          });
          linkDown = false;
        }
        await this.client.echo('soup', { ...this.req(), timeoutMs: ECHO_INTERVAL_MS, retries: 0 });
        return;
      } catch (err) {
        if (!isSoupError(err, 'SOUP_E_MODULE_TIMEOUT') && !isSoupError(err, 'SOUP_E_IO')) throw err;
        if (this.ctx.clock.now() >= deadline) {
          throw new SoupError(
            'SOUP_E_MODULE_TIMEOUT',
            `${this.job.module.name}: no answer to echo within ${bootTimeoutMs} ms after reset`,
            { retryable: true },
          );
        }
        if (isSoupError(err, 'SOUP_E_IO')) {
          linkDown = true;
          await this.ctx.clock.sleep(ECHO_INTERVAL_MS, this.ctx.signal);
        }
      }
    }
  }
}

export type { ImageSlotState };
