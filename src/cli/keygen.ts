/**
 * `soup-agent keygen --kid KID --out DIR [--alg ALG]`: a new signing key pair (`agent.md`, "Commands").
 * Writes `DIR/<kid>.private.jwk.json` (mode 0600, never overwritten) and `DIR/<kid>.jwks.json` (the
 * public half, for the gateway's trust store) and prints both paths.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { oneLine } from '../lib/errors.js';
import type { SigningAlg } from '../recipe/jws.js';
import { CliExit } from './exit.js';

const KID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** As `ALLOWED_ALGS` of recipe/jws.ts, which (with node-jose) loads only when a key is made. */
const ALLOWED_ALGS: readonly SigningAlg[] = ['ES256', 'ES384', 'RS256', 'PS256'];

export async function keygenCommand(opts: { kid: string; out: string; alg: string }): Promise<string[]> {
  if (!(ALLOWED_ALGS as readonly string[]).includes(opts.alg)) {
    throw new CliExit(2, `--alg ${opts.alg}: use one of ${ALLOWED_ALGS.join(', ')}`);
  }
  if (!KID.test(opts.kid)) {
    throw new CliExit(
      2,
      `--kid ${JSON.stringify(opts.kid)}: use letters, digits, '.', '_' or '-' (it names the files)`,
    );
  }
  const { generateSigningKey } = await import('../recipe/jws.js');
  const { privateJwk, publicJwks } = await generateSigningKey(opts.kid, opts.alg as SigningAlg);
  const privatePath = join(opts.out, `${opts.kid}.private.jwk.json`);
  const publicPath = join(opts.out, `${opts.kid}.jwks.json`);
  try {
    await mkdir(opts.out, { recursive: true });
    await writeFile(privatePath, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await writeFile(publicPath, `${JSON.stringify(publicJwks, null, 2)}\n`, { flag: 'w' });
  } catch (err) {
    const exists = (err as NodeJS.ErrnoException).code === 'EEXIST';
    throw new CliExit(
      exists ? 2 : 1,
      exists ? `${privatePath} exists: not overwriting a private key` : oneLine(err),
      err,
    );
  }
  return [privatePath, publicPath];
}

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('new signing key pair: private JWK and public JWKS')
    .requiredOption('--kid <kid>', 'key id, also the file name prefix')
    .requiredOption('--out <dir>', 'directory for the key files (created if missing)')
    .option('--alg <alg>', `signing algorithm: ${ALLOWED_ALGS.join(', ')}`, 'ES256')
    .action(async (opts: { kid: string; out: string; alg: string }) => {
      for (const path of await keygenCommand(opts)) process.stdout.write(`${path}\n`);
    });
}
