/** Handler `smp-image`: MCUmgr SMP image upload, test, reset, check, confirm / revert. Owner: smp. */
import { notBuilt } from '../lib/errors.js';
import type { Handler } from './types.js';

export function createSmpImageHandler(): Handler {
  return notBuilt('handler smp-image');
}
