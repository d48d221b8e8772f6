/**
 * Request body shapes, checked with ajv: a wrong shape is `400 soup.request.invalid` naming the key
 * path (`[0].name must NOT have more than 64 characters`). Max sizes are 003's.
 */
import type { ValidateFunction } from 'ajv';
import { createAjv } from '../../lib/json-schema.js';
import { keyPath } from '../../lib/key-path.js';
import { badRequest } from './errors.js';

const ajv = createAjv();
const cache = new WeakMap<object, ValidateFunction>();

export type JsonSchema = Record<string, unknown>;

export function checkShape<T>(schema: JsonSchema, value: unknown, what = 'body'): T {
  let validate = cache.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    cache.set(schema, validate);
  }
  if (value === undefined) throw badRequest('request.invalid', `request ${what} is missing`);
  if (!validate(value)) {
    const e = validate.errors?.[0];
    const where = keyPath(e?.instancePath ?? '');
    const extra = e?.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : '';
    throw badRequest(
      'request.invalid',
      `${what}${where ? ` ${where}` : ''} ${e?.message ?? 'is invalid'}${extra}`,
    );
  }
  return value as T;
}

export const S = {
  str: (max: number, min = 0): JsonSchema => ({ type: 'string', maxLength: max, minLength: min }),
  name: { type: 'string', minLength: 1, maxLength: 64 } as JsonSchema,
  version: { type: 'string', minLength: 1, maxLength: 64 } as JsonSchema,
  description: { type: 'string', maxLength: 512 } as JsonSchema,
  key: { type: 'string', minLength: 1, maxLength: 64 } as JsonSchema,
  colour: { type: 'string', maxLength: 16 } as JsonSchema,
  id: { type: 'integer', minimum: 1 } as JsonSchema,
  bool: { type: 'boolean' } as JsonSchema,
  arrayOf: (items: JsonSchema, minItems = 0): JsonSchema => ({ type: 'array', items, minItems }),
  object: (properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema => ({
    type: 'object',
    properties,
    required,
  }),
};

/** A path id (`/softwaremodules/12`) as an integer; anything else is an unknown entity (404). */
export function pathId(raw: string | undefined): number | null {
  if (raw === undefined || !/^[1-9]\d{0,15}$/.test(raw)) return null;
  return Number(raw);
}
