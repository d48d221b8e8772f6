/** Identity of a UDS ECU: ReadDataByIdentifier of the configured DIDs. Owner: can. */
import { notBuilt } from '../../lib/errors.js';
import type { CanBusConfig, CanEcuConfig } from '../../lib/module-config.js';
import type { ModuleProbe } from '../types.js';

export function createUdsProbe(_bus: CanBusConfig, _ecu: CanEcuConfig): ModuleProbe {
  return notBuilt('UDS probe');
}
