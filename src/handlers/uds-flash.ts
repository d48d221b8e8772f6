/**
 * Handler `uds-flash`: a single-bank ECU programmed with UDS over ISO-TP (`module-protocols.md`).
 *
 *   prepare   config checked, key function loaded, ECU reachable (F189 read)
 *   transfer  0x10 02 → 0x27 → 0x31 erase → 0x34 → 0x36… → 0x37 → 0x31 check (`programming.ts`),
 *             resuming from the checkpoint `{sha256, acknowledged}` saved after every acknowledged block
 *   activate  0x11 01 hard reset
 *   verify    F189 read until it shows the target version (the ECU is silent while booting)
 *   commit    nothing to do: one bank, the new image is already the only one
 *   revert    impossible (not revertible: the engine flashes it after the revertible modules)
 *
 * The bus comes from `ctx.links` and is shared with the other ECUs on it: it is never closed here.
 */
import { open } from 'node:fs/promises';
import type { CanBusConfig, CanEcuConfig } from '../inventory/module-config.js';
import { SoupError } from '../lib/errors.js';
import { connectEcu, didText, type EcuConnection, readDidRetrying } from '../protocols/uds/connect.js';
import { type EcuSettings, ecuSettings } from '../protocols/uds/ecu-config.js';
import { type ImageReader, programEcu, waitForVersion } from '../protocols/uds/programming.js';
import { loadKeyFunction } from '../protocols/uds/security.js';
import type { Handler, HandlerContext, HandlerJob } from './types.js';

interface Checkpoint {
  sha256: string;
  acknowledged: number;
}

export interface UdsFlashOptions {
  /** How long verify waits for the ECU to report the new version (default 30 s). */
  verifyTimeoutMs?: number;
  /** Extra P2 allowance for the tester's link (default 250 ms). */
  p2MarginMs?: number;
}

export function createUdsFlashHandler(options: UdsFlashOptions = {}): Handler {
  const target = (job: HandlerJob): { bus: CanBusConfig; ecu: CanEcuConfig; settings: EcuSettings } => {
    const config = job.module.config;
    if (config.kind !== 'can')
      throw new SoupError(
        'SOUP_E_CONFIG',
        `module ${job.module.name} is not a CAN ECU: uds-flash cannot update it`,
      );
    return { bus: config.bus, ecu: config.entry, settings: ecuSettings(config.entry) };
  };

  const connect = async (
    job: HandlerJob,
    ctx: HandlerContext,
  ): Promise<EcuConnection & { settings: EcuSettings }> => {
    const { bus, settings } = target(job);
    const frameBus = await ctx.links.can(bus.bus, bus.bitrate);
    return { ...connectEcu(frameBus, settings, ctx.clock, options.p2MarginMs), settings };
  };

  return {
    type: 'uds-flash',
    revertible: () => false,

    async prepare(job, ctx) {
      const { ecu } = target(job);
      if (ecu.security)
        await loadKeyFunction(ecu.security.key, `modules.can[].ecus[${ecu.name}].security.key`);
      const conn = await connect(job, ctx);
      try {
        const running = didText(await readDidRetrying(conn.client, 0xf189, ctx.signal));
        ctx.log.info({ ecu: ecu.name, running, target: job.version }, 'ECU reachable');
      } finally {
        conn.close();
      }
    },

    async transfer(job, ctx) {
      const { ecu } = target(job);
      const key = ecu.security
        ? {
            level: ecu.security.level,
            key: await loadKeyFunction(ecu.security.key, `modules.can[].ecus[${ecu.name}].security.key`),
          }
        : undefined;
      const saved = ctx.checkpoint.load<Checkpoint>();
      const startAt = saved && saved.sha256 === job.image.sha256 ? saved.acknowledged : 0;
      const file = await open(job.image.path, 'r');
      const conn = await connect(job, ctx);
      const size = job.image.size;
      const reader: ImageReader = {
        size,
        read: async (offset, length) => {
          const buf = Buffer.alloc(length);
          const { bytesRead } = await file.read(buf, 0, length, offset);
          if (bytesRead !== length)
            throw new SoupError(
              'SOUP_E_IO',
              `${job.image.filename}: short read at byte ${offset + bytesRead}`,
            );
          return buf;
        },
      };
      try {
        ctx.progress(startAt, size);
        await programEcu(
          conn.client,
          reader,
          {
            address: conn.settings.address,
            addressLength: conn.settings.addressLength,
            sizeLength: conn.settings.sizeLength,
            eraseRoutine: conn.settings.eraseRoutine,
            checkRoutine: conn.settings.checkRoutine,
            ...(key ? { security: key } : {}),
          },
          {
            startAt,
            acknowledged: (bytes) => {
              ctx.checkpoint.save<Checkpoint>({ sha256: job.image.sha256, acknowledged: bytes });
              ctx.progress(bytes, size);
            },
            clock: ctx.clock,
            log: ctx.log,
            signal: ctx.signal,
          },
        );
      } finally {
        conn.close();
        await file.close();
      }
    },

    async activate(job, ctx) {
      const conn = await connect(job, ctx);
      try {
        await conn.client.ecuReset(0x01, ctx.signal);
      } finally {
        conn.close();
      }
    },

    async verify(job, ctx) {
      const conn = await connect(job, ctx);
      try {
        await waitForVersion(
          conn.client,
          job.version,
          { clock: ctx.clock, timeoutMs: options.verifyTimeoutMs ?? 30_000, signal: ctx.signal },
          didText,
        );
      } finally {
        conn.close();
      }
    },

    async commit(job, ctx) {
      ctx.log.info({ ecu: job.module.name, version: job.version }, 'single-bank ECU: nothing to commit');
    },

    async revert(job) {
      throw new SoupError(
        'SOUP_E_STATE',
        `ECU ${job.module.name} has one flash bank and cannot return to its previous image`,
      );
    },
  };
}
