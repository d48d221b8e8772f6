/**
 * Identity of a UDS ECU: ReadDataByIdentifier (0x22) of each configured DID (default F187
 * partNumber, F18C serialNumber, F189 swVersion, F193 hwVersion) → attributes; the `serialNumber`
 * attribute, when read, becomes the module's serial number. A DID the ECU refuses (NRC, e.g.
 * requestOutOfRange) is left out; an unanswered read is asked once more; an ECU silent before any
 * DID was read is unreachable (the probe throws at once).
 * The CAN bus is shared (`ctx.links.can`) and stays open after the probe.
 */
import { systemClock } from '../../lib/clock.js';
import { nrcOf } from '../../protocols/uds/client.js';
import { connectEcu, didText, readDidRetrying } from '../../protocols/uds/connect.js';
import { ecuSettings } from '../../protocols/uds/ecu-config.js';
import type { CanBusConfig, CanEcuConfig } from '../module-config.js';
import type { ModuleProbe, ProbeContext, ProbeResult } from '../types.js';

export function createUdsProbe(bus: CanBusConfig, ecu: CanEcuConfig): ModuleProbe {
  return {
    name: ecu.name,
    config: { kind: 'can', bus, entry: ecu },
    probe: async (ctx: ProbeContext): Promise<ProbeResult> => {
      const settings = ecuSettings(ecu);
      const frameBus = await ctx.links.can(bus.bus, bus.bitrate);
      const conn = connectEcu(frameBus, settings, systemClock);
      const attributes: Record<string, string> = {};
      try {
        for (const [did, attribute] of settings.dids) {
          try {
            attributes[attribute] = didText(await readDidRetrying(conn.client, did, ctx.signal));
          } catch (err) {
            // silence before anything was read: the ECU is not there, don't wait out every DID
            if (nrcOf(err) === undefined && Object.keys(attributes).length === 0) throw err;
            ctx.log.debug({ ecu: ecu.name, did: did.toString(16), err }, 'DID not read');
          }
        }
      } finally {
        conn.close();
      }
      const result: ProbeResult = { attributes };
      if (attributes.serialNumber) result.serialNumber = attributes.serialNumber;
      return result;
    },
  };
}
