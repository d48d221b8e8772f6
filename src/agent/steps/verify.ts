/**
 * Step 3, verify and validate: at least one signature must verify with a key of the trust store, and
 * the file must pass the schema and operator whitelist. Either fault refuses the action (`reject`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSoupError, oneLine } from '../../lib/errors.js';
import { verifyDetached } from '../../recipe/jws.js';
import { parseRecipeFile } from '../../recipe/schema.js';
import type { RecipeFile } from '../../recipe/types.js';
import type { UpdateEvent } from '../machine.js';
import { actionDir, type StepEnv } from './env.js';
import { RECIPE_FILE, SIGNATURES_FILE } from './fetch.js';

export async function readRecipeFile(env: StepEnv): Promise<Uint8Array> {
  return new Uint8Array(await readFile(join(actionDir(env.config.dataDir, env.ctx.actionId), RECIPE_FILE)));
}

/** Parses the stored recipe file (schema and whitelist checked). */
export async function loadRecipeFile(env: StepEnv): Promise<RecipeFile> {
  return parseRecipeFile(await readRecipeFile(env));
}

export async function verifyRecipe(env: StepEnv): Promise<UpdateEvent> {
  if (env.ctx.kind === 'ddi') return { type: 'ok' };
  const dir = actionDir(env.config.dataDir, env.ctx.actionId);
  const bytes = await readRecipeFile(env);
  const list = JSON.parse(await readFile(join(dir, SIGNATURES_FILE), 'utf8')) as {
    signatures: { format?: string; value?: string }[];
  };
  const values = list.signatures
    .filter((s) => (s.format ?? 'jws') === 'jws' && typeof s.value === 'string')
    .map((s) => s.value as string);
  if (values.length === 0)
    return { type: 'reject', reasons: ['signature: the recipe file has no JWS signature'] };
  let trust: Awaited<ReturnType<StepEnv['trust']>>;
  try {
    trust = await env.trust();
  } catch (err) {
    return { type: 'reject', reasons: [`signature: trust store unusable (${oneLine(err)})`] };
  }
  const outcome = await verifyDetached(bytes, values, trust);
  if (!outcome.ok) return { type: 'reject', reasons: outcome.reasons.map((r) => `signature: ${r}`) };
  env.log.info({ kid: outcome.kid, alg: outcome.alg }, 'recipe file signature verified');
  try {
    parseRecipeFile(bytes);
  } catch (err) {
    if (isSoupError(err, 'SOUP_E_SCHEMA')) return { type: 'reject', reasons: [oneLine(err)] };
    throw err;
  }
  return { type: 'ok' };
}
