/** Simulated UDS ECUs on SLCAN pseudo-terminals (several ECUs may share one bus path). Owner: can. */
import { notBuilt } from '../../lib/errors.js';
import type { SimulatedModule } from '../types.js';

/** `configs` are the `protocol: "uds"` entries of the simulate configuration (`module-protocols.md`). */
export async function startUdsEcus(_configs: Record<string, unknown>[]): Promise<SimulatedModule[]> {
  return notBuilt('UDS simulator');
}
