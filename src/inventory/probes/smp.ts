/**
 * Identity of an SMP module (`module-protocols.md`, "Identity"):
 *   group 64 cmd 0 read → `{attributes: {module-id, hwVersion, partNumber, serialNumber, …}}`
 *   image state read    → `swVersion` = version of the active slot (slot 0 when no slot says active)
 * A module without group 64 (rc 8) is reported with what image state gives. A module that is MCUboot
 * serial recovery (no group 64, no MCUmgr parameters, no slot flags) is reported with
 * `smpMode: "serial-recovery"`, which makes the `smp-image` handler treat it as non-revertible.
 * Static config attributes are merged by the inventory under what is returned here.
 * Timeouts: 2 attempts per request (module config `timeoutMs`, default 2000 ms + wire time).
 */
import { basename } from 'node:path';
import { type Clock, systemClock } from '../../lib/clock.js';
import { activeSlot, SmpClient } from '../../protocols/smp/client.js';
import type { SerialModuleConfig } from '../module-config.js';
import type { ModuleProbe, ProbeContext, ProbeResult } from '../types.js';

export function createSmpProbe(entry: SerialModuleConfig, options: { clock?: Clock } = {}): ModuleProbe {
  const name = entry.name ?? basename(entry.path);
  const clock = options.clock ?? systemClock;
  return {
    name,
    config: { kind: 'serial', entry },
    async probe(ctx: ProbeContext): Promise<ProbeResult> {
      const port = await ctx.links.serial(entry.path, entry.baudRate);
      const client = new SmpClient(port, {
        clock,
        log: ctx.log,
        name,
        baudRate: entry.baudRate,
        retries: 1,
        ...(entry.timeoutMs ? { timeoutMs: entry.timeoutMs } : {}),
      });
      try {
        const req = { signal: ctx.signal };
        const identity = await client.identity(req);
        const slots = await client.imageState(req);
        const attributes: Record<string, string> = { ...(identity ?? {}) };
        const active = activeSlot(slots);
        if (active?.version) attributes.swVersion = active.version;
        if (
          !identity &&
          !slots.some((s) => s.active !== undefined) &&
          (await client.params(req)) === undefined
        ) {
          attributes.smpMode = 'serial-recovery';
        }
        const serialNumber = identity?.serialNumber;
        return serialNumber ? { serialNumber, attributes } : { attributes };
      } finally {
        client.dispose();
      }
    },
  };
}
