/**
 * `soup-agent sign --key KEY [--kid KID] RECIPE_FILE`: prints the detached JWS of a recipe file
 * (`agent.md`, "Commands"). KEY is a file holding a private JWK (JSON) or a PEM private key; the kid is
 * `--kid`, else the JWK's own. The file is checked against the recipe file schema first: an invalid
 * file is never signed. Exit 2 with one line on a bad key or file.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { oneLine } from '../lib/errors.js';
import { CliExit } from './exit.js';

async function readOrExit(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new CliExit(2, `${what} ${path}: ${oneLine(err)}`, err);
  }
}

/** A private JWK when the file is JSON, else the PEM text. */
export function parseKeyFile(text: string, path: string): Record<string, unknown> | string {
  if (!text.trimStart().startsWith('{')) return text;
  try {
    const jwk: unknown = JSON.parse(text);
    if (typeof jwk === 'object' && jwk !== null && !Array.isArray(jwk)) return jwk as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new CliExit(2, `key ${path}: not a JWK (a JSON object) nor a PEM key`);
}

export async function signCommand(recipePath: string, opts: { key: string; kid?: string }): Promise<string> {
  // node-jose and ajv load only when signing, not for every soup-agent command
  const [{ signDetached }, { parseRecipeFile }] = await Promise.all([
    import('../recipe/jws.js'),
    import('../recipe/schema.js'),
  ]);
  const key = parseKeyFile((await readOrExit(opts.key, 'key')).toString('utf8'), opts.key);
  const bytes = await readOrExit(recipePath, 'recipe file');
  try {
    parseRecipeFile(bytes);
  } catch (err) {
    throw new CliExit(2, `recipe file ${recipePath}: ${oneLine(err)}`, err);
  }
  try {
    return await signDetached(bytes, key, opts.kid);
  } catch (err) {
    throw new CliExit(2, `key ${opts.key}: ${oneLine(err)}`, err);
  }
}

export function registerSign(program: Command): void {
  program
    .command('sign')
    .description('print the detached JWS for a recipe file')
    .requiredOption('--key <file>', 'private key: a JWK file (with kid) or a PEM file')
    .option('--kid <kid>', 'key id for the JWS header (default: the JWK kid)')
    .argument('<recipe-file>', 'the recipe file, signed byte for byte')
    .action(async (recipePath: string, opts: { key: string; kid?: string }) => {
      process.stdout.write(`${await signCommand(recipePath, opts)}\n`);
    });
}
