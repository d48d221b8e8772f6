import type { Command } from 'commander';
import { notBuilt } from '../lib/errors.js';

export function registerInstall(program: Command): void {
  program
    .command('install')
    .description('offline system update from a bundle')
    .allowUnknownOption()
    .action(() => notBuilt('soup-agent install'));
}
