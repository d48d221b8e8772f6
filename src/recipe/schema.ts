/** The recipe file JSON Schema (ajv) and the operator whitelist. Owner: recipe. */
import { notBuilt } from '../lib/errors.js';
import type { RecipeFile } from './types.js';

/**
 * Parses and validates the exact bytes of a recipe file: JSON syntax (byte offset on error), the schema
 * (error names the key path, e.g. `software.images[0].sha256`), and the operator whitelist of every
 * `match`/`matchCount`. Throws SoupError SOUP_E_SCHEMA with a one-line message.
 */
export function parseRecipeFile(_bytes: Uint8Array): RecipeFile {
  return notBuilt('recipe file validation');
}

/** Same checks on an already-parsed value (server-lite validates what it generated before freezing it). */
export function validateRecipeFile(_value: unknown): RecipeFile {
  return notBuilt('recipe file validation');
}
