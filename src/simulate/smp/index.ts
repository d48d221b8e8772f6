/** Simulated SMP modules on pseudo-terminals. Owner: smp. */
import { notBuilt } from '../../lib/errors.js';
import type { SimulatedModule } from '../types.js';

/** `config` is one `protocol: "smp"` entry of the simulate configuration (`module-protocols.md`). */
export async function startSmpModule(_config: Record<string, unknown>): Promise<SimulatedModule> {
  return notBuilt('SMP simulator');
}
