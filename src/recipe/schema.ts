/**
 * The recipe file JSON Schema and the operator whitelist.
 *
 * One source of truth: `schemas/recipe-file.schema.json`, shipped with the package; the validator is
 * generated from it at build time (src/generated/recipe-file.js, `node scripts/gen-validators.mjs`).
 * `recipeSchemaPath` finds the shipped file by walking up from this module, so the same code works from
 * `src/recipe/` (vitest) and from `dist/src/recipe/` (built).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject } from 'ajv';
import * as generated from '../generated/recipe-file.js';
import { SoupError } from '../lib/errors.js';
import { keyPath } from '../lib/key-path.js';
import { validatorOf } from '../lib/validator.js';
import { jsonSyntaxFault } from './json-syntax.js';
import { findOperatorFault } from './operators.js';
import type { RecipeFile } from './types.js';

export const RECIPE_SCHEMA_FILE = 'schemas/recipe-file.schema.json';

/** The shipped schema file: the first `schemas/recipe-file.schema.json` above this module. */
export function recipeSchemaPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++) {
    const candidate = join(dir, RECIPE_SCHEMA_FILE);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new SoupError(
    'SOUP_E_SCHEMA',
    `${RECIPE_SCHEMA_FILE} not found above ${fileURLToPath(import.meta.url)}`,
  );
}

const validate = validatorOf<RecipeFile>(generated.recipeFile);

function describe(error: ErrorObject): string {
  const at = keyPath(error.instancePath);
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return `${at === '' ? missing : `${at}.${missing}`}: is required`;
  }
  return `${at === '' ? '(root)' : at}: ${error.message ?? 'is invalid'}`;
}

function schemaError(message: string): SoupError {
  return new SoupError('SOUP_E_SCHEMA', message);
}

/** Checks beyond the schema: the operator whitelist and that each image names one of its artifacts. */
function checkSemantics(file: RecipeFile): void {
  const all = [
    ...(file.software.images ?? []).map((image, i) => ({
      at: `software.images[${i}]._module`,
      module: image._module,
    })),
    ...(file.software._noImage ?? []).map((entry, i) => ({
      at: `software._noImage[${i}]._module`,
      module: entry._module,
    })),
  ];
  for (const { at, module } of all) {
    const fault =
      findOperatorFault(module.match, `${at}.match`, 'string') ??
      findOperatorFault(module.matchCount, `${at}.matchCount`, 'count');
    if (fault) throw schemaError(`${fault.path}: ${fault.message}`);
  }
  for (const [i, image] of (file.software.images ?? []).entries()) {
    const at = `software.images[${i}]`;
    const artifact = image._software.artifacts.find((a) => a.filename === image.filename);
    if (!artifact) throw schemaError(`${at}.filename: names no artifact of ${at}._software.artifacts`);
    if (artifact.sha256 !== image.sha256) {
      throw schemaError(`${at}.sha256: differs from the sha256 of artifact ${image.filename}`);
    }
  }
}

/** Same checks on an already-parsed value (server-lite validates what it generated before freezing it). */
export function validateRecipeFile(value: unknown): RecipeFile {
  if (!validate(value)) {
    const first = validate.errors?.[0];
    throw schemaError(first ? describe(first) : 'recipe file is invalid');
  }
  checkSemantics(value);
  return value;
}

/**
 * Parses and validates the exact bytes of a recipe file: JSON syntax (byte offset on error), the schema
 * (error names the key path, e.g. `software.images[0].sha256`), and the operator whitelist of every
 * `match`/`matchCount`. Throws SoupError SOUP_E_SCHEMA with a one-line message.
 */
export function parseRecipeFile(bytes: Uint8Array): RecipeFile {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw schemaError('recipe file is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const fault = jsonSyntaxFault(bytes);
    const detail = fault ? `at byte ${fault.offset}: ${fault.message}` : (err as Error).message;
    throw schemaError(`recipe file is not valid JSON ${detail}`);
  }
  // well-formed: the scan can only find a duplicate key now
  const duplicate = jsonSyntaxFault(bytes);
  if (duplicate)
    throw schemaError(`recipe file is not valid JSON at byte ${duplicate.offset}: ${duplicate.message}`);
  return validateRecipeFile(value);
}
