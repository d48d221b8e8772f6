/**
 * The configuration file of `soup-agent simulate -c FILE` (`module-protocols.md`, "Simulated modules"),
 * validated with ajv. Errors are one line naming the key path (`modules[0].link.baud: must be >= 1`).
 * SMP entries are checked strictly (unknown keys are errors); UDS entries check the keys the spec
 * names and pass any others on to the UDS simulator.
 */
import type { ErrorObject } from 'ajv';
import { SoupError } from '../lib/errors.js';
import { createAjv } from '../lib/json-schema.js';
import { keyPath } from '../lib/key-path.js';
import type { SmpFault } from './smp/faults.js';

export interface SmpModuleSimConfig {
  protocol: 'smp';
  name: string;
  link: { pty: string; baud?: number };
  serialNumber?: string;
  attributes?: Record<string, string>;
  /** Bytes per slot (default 262144). */
  slotSize?: number;
  /** MCUmgr buffer size advertised by the parameters command (default 512). */
  bufSize?: number;
  /** Flash write speed in bytes/s; 0 = instant (default 0). */
  flashWriteBytesPerSec?: number;
  /** Version of the image in the primary slot at start (default 1.0.0). */
  image?: string;
  /** `serial-recovery`: the module is MCUboot's serial recovery (default `application`). */
  mode?: 'application' | 'serial-recovery';
  /** Time a reset takes before the module answers again, ms (default 100). */
  bootMs?: number;
  faults?: SmpFault[];
}

export interface SimulateConfig {
  modules: (SmpModuleSimConfig | ({ protocol: 'uds'; name: string } & Record<string, unknown>))[];
}

const attributes = { type: 'object', additionalProperties: { type: 'string' } };
const hexId = {
  anyOf: [
    { type: 'string', pattern: '^(0[xX])?[0-9a-fA-F]+$' },
    { type: 'integer', minimum: 0 },
  ],
};

const smpFault = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { enum: ['drop-frame', 'corrupt-frame', 'stall', 'disconnect', 'reboot', 'refuse-boot'] },
    atOffset: { type: 'integer', minimum: 0 },
    atRequest: { type: 'integer', minimum: 1 },
    count: { type: 'integer', minimum: 1 },
    durationMs: { type: 'integer', minimum: 0 },
  },
};

export const smpModuleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['protocol', 'name', 'link'],
  properties: {
    protocol: { const: 'smp' },
    name: { type: 'string', minLength: 1 },
    link: {
      type: 'object',
      additionalProperties: false,
      required: ['pty'],
      properties: { pty: { type: 'string', minLength: 1 }, baud: { type: 'integer', minimum: 1 } },
    },
    serialNumber: { type: 'string' },
    attributes,
    slotSize: { type: 'integer', minimum: 1024 },
    bufSize: { type: 'integer', minimum: 128, maximum: 65535 },
    flashWriteBytesPerSec: { type: 'integer', minimum: 0 },
    image: { type: 'string', pattern: '^\\d+\\.\\d+(\\.\\d+)?([.+]\\d+)?$' },
    mode: { enum: ['application', 'serial-recovery'] },
    bootMs: { type: 'integer', minimum: 0 },
    faults: { type: 'array', items: smpFault },
  },
};

/** The shape only; the UDS simulator (`simulate/uds/config.ts`) checks values and names key paths. */
const udsModuleSchema = {
  type: 'object',
  required: ['protocol', 'name', 'link', 'txId', 'rxId'],
  properties: {
    protocol: { const: 'uds' },
    name: { type: 'string', minLength: 1 },
    link: {
      type: 'object',
      properties: {
        slcan: { type: 'string', minLength: 1 },
        memory: { type: 'string', minLength: 1 },
        bitrate: { type: 'integer', minimum: 1 },
      },
      anyOf: [{ required: ['slcan'] }, { required: ['memory'] }],
    },
    txId: hexId,
    rxId: hexId,
    serialNumber: { type: 'string' },
    dids: { type: 'object' },
    image: { type: 'string' },
    security: { type: 'object', required: ['level', 'key'] },
    memory: { type: 'object' },
    maxBlockLength: { type: 'integer', minimum: 3 },
    faults: { type: 'array', items: { type: 'object', required: ['type'] } },
  },
};

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['modules'],
  properties: {
    modules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['protocol'],
        discriminator: { propertyName: 'protocol' },
        oneOf: [smpModuleSchema, udsModuleSchema],
      },
    },
  },
};

const ajv = createAjv({ discriminator: true });
const validateConfig = ajv.compile<SimulateConfig>(schema);
const validateSmp = ajv.compile<SmpModuleSimConfig>(smpModuleSchema);

/** `/modules/0/link/baud` → `modules[0].link.baud`; `(top level)` for the whole file. */
function at(pointer: string, extra?: string): string {
  return keyPath(pointer, extra || undefined) || '(top level)';
}

export function describeError(e: ErrorObject, prefix = ''): string {
  const path = (p: string) =>
    prefix ? (p === '(top level)' ? prefix : `${prefix}${p.startsWith('[') ? '' : '.'}${p}`) : p;
  switch (e.keyword) {
    case 'required':
      return `${path(at(e.instancePath, String(e.params.missingProperty)))} is missing`;
    case 'additionalProperties':
      return `${path(at(e.instancePath))}: unknown key "${String(e.params.additionalProperty)}"`;
    case 'enum':
      return `${path(at(e.instancePath))}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'anyOf':
      return `${path(at(e.instancePath))}: ${e.instancePath.endsWith('/link') ? 'needs "slcan": <path> or "memory": <name>' : 'has the wrong type'}`;
    case 'discriminator':
      return `${path(at(e.instancePath, 'protocol'))}: must be "smp" or "uds"`;
    default:
      return `${path(at(e.instancePath))}: ${e.message ?? 'is invalid'}`;
  }
}

/** Validates a parsed simulate config file; throws SOUP_E_CONFIG with `<source>: <key path>: <what>`. */
export function parseSimulateConfig(value: unknown, source = 'simulate config'): SimulateConfig {
  if (!validateConfig(value)) {
    const errors = validateConfig.errors ?? [];
    // for anyOf, the failed branches come first; the anyOf error says what is wanted
    const e = errors.find((x) => x.keyword === 'anyOf') ?? errors[0];
    throw new SoupError('SOUP_E_CONFIG', `${source}: ${e ? describeError(e) : 'invalid'}`);
  }
  const names = new Set<string>();
  value.modules.forEach((m, i) => {
    if (names.has(m.name)) {
      throw new SoupError('SOUP_E_CONFIG', `${source}: modules[${i}].name: "${m.name}" is used twice`);
    }
    names.add(m.name);
  });
  return value;
}

/** Validates one SMP module entry (for direct callers of startSmpModule). */
export function parseSmpModuleConfig(value: unknown, source = 'smp module'): SmpModuleSimConfig {
  if (!validateSmp(value)) {
    const e = validateSmp.errors?.[0];
    throw new SoupError('SOUP_E_CONFIG', `${source}: ${e ? describeError(e) : 'invalid'}`);
  }
  return value;
}
