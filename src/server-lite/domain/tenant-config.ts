/**
 * Tenant configuration keys (`management-api.md`, `tenant/configs`), each with a default and a shape.
 * Stored values override defaults; `pollingSleep`, `autoRegister` and `gatewayToken` default to the
 * server-lite configuration.
 */
import type { App } from '../app.js';
import type { JsonSchema } from '../http/shape.js';
import { deleteTenantValue, readTenantValue, writeTenantValue } from '../store/tenant-config.js';

export interface MetadataRule {
  metaDataKey: string;
  mandatory: boolean;
  valueValidationRegex?: string | null;
}

export interface MetadataRules {
  recipeRules: MetadataRule[];
  systemDistributionSetRules: MetadataRule[];
  moduleUpdateDefinitionWithDistributionSetRules: MetadataRule[];
  moduleUpdateDefinitionWithoutDistributionSetRules: MetadataRule[];
}

export type Handling = 'skip' | 'attempt' | 'forced';

export interface TenantConfig {
  'soup.systemreport.version.property.names': string[];
  'soup.validation.metadata': MetadataRules;
  'soup.validation.totalFileSize': { maxBytes: number; excludeTypes: string[] } | null;
  'soup.action.handling': { download: Handling; update: Handling };
  'soup.action.maintenanceWindow': { schedule: string; duration: string; timezone: string } | null;
  pollingSleep: string;
  autoRegister: boolean;
  gatewayToken: string | null;
}

export type TenantKey = keyof TenantConfig;

const RULES: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      metaDataKey: { type: 'string', minLength: 1, maxLength: 128 },
      mandatory: { type: 'boolean' },
      valueValidationRegex: { type: ['string', 'null'] },
    },
    required: ['metaDataKey'],
  },
};
const HANDLING = { enum: ['skip', 'attempt', 'forced'] };

export const TENANT_SCHEMAS: Record<TenantKey, JsonSchema> = {
  'soup.systemreport.version.property.names': {
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: 128 },
  },
  'soup.validation.metadata': {
    type: 'object',
    properties: {
      recipeRules: RULES,
      systemDistributionSetRules: RULES,
      moduleUpdateDefinitionWithDistributionSetRules: RULES,
      moduleUpdateDefinitionWithoutDistributionSetRules: RULES,
    },
    additionalProperties: false,
  },
  'soup.validation.totalFileSize': {
    oneOf: [
      { type: 'null' },
      {
        type: 'object',
        properties: {
          maxBytes: { type: 'integer', minimum: 0 },
          excludeTypes: { type: 'array', items: { type: 'string' } },
        },
        required: ['maxBytes'],
      },
    ],
  },
  'soup.action.handling': {
    type: 'object',
    properties: { download: HANDLING, update: HANDLING },
    required: ['download', 'update'],
  },
  'soup.action.maintenanceWindow': {
    oneOf: [
      { type: 'null' },
      {
        type: 'object',
        properties: {
          schedule: { type: 'string', minLength: 1 },
          duration: { type: 'string', pattern: '^\\d{2}:[0-5]\\d:[0-5]\\d$' },
          timezone: { type: 'string', pattern: '^[+-]\\d{2}:\\d{2}$' },
        },
        required: ['schedule', 'duration', 'timezone'],
      },
    ],
  },
  pollingSleep: {
    type: 'string',
    pattern: '^(\\d{2}:[0-5]\\d:[0-5]\\d|P(\\d+D)?(T(\\d+H)?(\\d+M)?(\\d+S)?)?)$',
  },
  autoRegister: { type: 'boolean' },
  gatewayToken: { type: ['string', 'null'], maxLength: 128 },
};

export const TENANT_KEYS = Object.keys(TENANT_SCHEMAS) as TenantKey[];

function defaults(app: App): TenantConfig {
  return {
    'soup.systemreport.version.property.names': ['hwVersion', 'swVersion'],
    'soup.validation.metadata': {
      recipeRules: [],
      systemDistributionSetRules: [],
      moduleUpdateDefinitionWithDistributionSetRules: [],
      moduleUpdateDefinitionWithoutDistributionSetRules: [],
    },
    'soup.validation.totalFileSize': null,
    'soup.action.handling': { download: 'forced', update: 'forced' },
    'soup.action.maintenanceWindow': null,
    pollingSleep: app.config.pollingSleep,
    autoRegister: app.config.autoRegister,
    gatewayToken: app.config.gatewayToken,
  };
}

export function isTenantKey(key: string): key is TenantKey {
  return (TENANT_KEYS as string[]).includes(key);
}

/** Parsed values per app, read once; `forgetTenantValues` after every write. */
const cache = new WeakMap<App, Map<TenantKey, unknown>>();

export function forgetTenantValues(app: App): void {
  cache.delete(app);
}

export function tenantValue<K extends TenantKey>(app: App, key: K): TenantConfig[K] {
  let values = cache.get(app);
  if (!values) {
    values = new Map();
    cache.set(app, values);
  }
  if (values.has(key)) return values.get(key) as TenantConfig[K];
  const stored = readTenantValue(app.db, key);
  const value = stored !== undefined ? (JSON.parse(stored) as TenantConfig[K]) : defaults(app)[key];
  values.set(key, value);
  return value;
}

export function tenantIsDefault(app: App, key: TenantKey): boolean {
  return readTenantValue(app.db, key) === undefined;
}

/** Stores a value (already checked against its schema) and forgets the parsed ones. */
export function storeTenantValue(app: App, key: TenantKey, value: unknown, who: string): void {
  writeTenantValue(app.db, key, JSON.stringify(value), who, app.clock.now());
  forgetTenantValues(app);
}

/** Back to the default. */
export function resetTenantValue(app: App, key: TenantKey): void {
  deleteTenantValue(app.db, key);
  forgetTenantValues(app);
}
