/** Handler `uds-flash`: UDS programming over ISO-TP. Owner: can. */
import { notBuilt } from '../lib/errors.js';
import type { Handler } from './types.js';

export function createUdsFlashHandler(): Handler {
  return notBuilt('handler uds-flash');
}
