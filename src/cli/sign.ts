import type { Command } from 'commander';
import { notBuilt } from '../lib/errors.js';

export function registerSign(program: Command): void {
  program
    .command('sign')
    .description('print the detached JWS for a recipe file')
    .allowUnknownOption()
    .action(() => notBuilt('soup-agent sign'));
}
