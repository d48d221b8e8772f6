/**
 * A validation function as the generated modules of src/generated/ export it: JSON Schema compiled by
 * Ajv at build time (`node scripts/gen-validators.mjs`), so the process that runs it never loads Ajv.
 */
import type { ErrorObject } from 'ajv';

export interface Validator<T = unknown> {
  /** True when `data` matches the schema (defaults filled in where the schema asks); else see `errors`. */
  (data: unknown): data is T;
  /** The faults of the last call that returned false, in Ajv's shape (`instancePath` is a JSON pointer). */
  errors?: ErrorObject[] | null;
}

/** A generated validator, typed by what its schema describes. */
export function validatorOf<T>(validate: Validator): Validator<T> {
  return validate as Validator<T>;
}
