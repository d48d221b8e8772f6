import type { Command } from 'commander';
import { notBuilt } from '../lib/errors.js';

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('new signing key pair: private JWK and public JWKS')
    .allowUnknownOption()
    .action(() => notBuilt('soup-agent keygen'));
}
