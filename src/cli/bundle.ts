import type { Command } from 'commander';
import { notBuilt } from '../lib/errors.js';

export function registerBundle(program: Command): void {
  program
    .command('bundle')
    .description('create offline bundles, upload offline feedback')
    .allowUnknownOption()
    .action(() => notBuilt('soup-agent bundle'));
}
