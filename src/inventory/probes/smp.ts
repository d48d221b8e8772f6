/** Identity of an SMP module: group 64 attributes + image state. Owner: smp. */
import { notBuilt } from '../../lib/errors.js';
import type { SerialModuleConfig } from '../../lib/module-config.js';
import type { ModuleProbe } from '../types.js';

export function createSmpProbe(_entry: SerialModuleConfig): ModuleProbe {
  return notBuilt('SMP probe');
}
