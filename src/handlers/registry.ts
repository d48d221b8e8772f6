/**
 * The handler registry: image `type` of the recipe file → handler (STYLE 7). One explicit map, no
 * import-time self-registration. Handlers with native or bus dependencies are created lazily, on first
 * use, so a gateway without serial or CAN never loads them; a handler whose implementation is missing
 * throws SOUP_E_NOT_BUILT when it is first used, which fails the step that needed it.
 */

import type { ModuleConfig } from '../inventory/module-config.js';
import { SoupError } from '../lib/errors.js';
import { createDummyHandler } from './dummy.js';
import { createRawHandler } from './raw.js';
import { createRawfileHandler } from './rawfile.js';
import { SCRIPT_TYPES } from './scripts.js';
import { createSmpImageHandler } from './smp-image.js';
import type { Handler } from './types.js';
import { createUdsFlashHandler } from './uds-flash.js';

export interface HandlerRegistry {
  /** Whether an image of this type can be installed at all. */
  has(type: string): boolean;
  /** The handler for this image type (created on first use); throws when there is none. */
  get(type: string): Handler;
  readonly types: readonly string[];
}

const FACTORIES: Record<string, () => Handler> = {
  rawfile: createRawfileHandler,
  raw: createRawHandler,
  dummy: createDummyHandler,
  'smp-image': createSmpImageHandler,
  'uds-flash': createUdsFlashHandler,
};

/** Types the engine handles itself rather than through a module handler. */
export const NON_MODULE_TYPES = [...SCRIPT_TYPES, 'releasenotes', 'license'] as const;

export function createHandlerRegistry(extra: Record<string, () => Handler> = {}): HandlerRegistry {
  const factories = { ...FACTORIES, ...extra };
  const made = new Map<string, Handler>();
  return {
    types: Object.keys(factories).sort(),
    has: (type) => Object.hasOwn(factories, type),
    get: (type) => {
      const existing = made.get(type);
      if (existing !== undefined) return existing;
      const factory = factories[type];
      if (factory === undefined)
        throw new SoupError('SOUP_E_NO_HANDLER', `no handler for image type ${type}`);
      const handler = factory();
      made.set(type, handler);
      return handler;
    },
  };
}

/** The handler a configured module is updated with: serial SMP → smp-image, CAN ECU → uds-flash, local → its `handler`. */
export function configuredHandler(config: ModuleConfig): string {
  switch (config.kind) {
    case 'serial':
      return 'smp-image';
    case 'can':
      return 'uds-flash';
    case 'local':
      return config.entry.handler;
    default: {
      const never: never = config;
      return never;
    }
  }
}

/** The bus a module's transfers share (one transfer per bus at a time; different buses in parallel). */
export function busOf(config: ModuleConfig): string {
  switch (config.kind) {
    case 'serial':
      return `serial:${config.entry.path}`;
    case 'can':
      return `can:${config.bus.bus}`;
    case 'local':
      return `local:${config.entry.name}`;
    default: {
      const never: never = config;
      return never;
    }
  }
}
