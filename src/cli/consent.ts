import type { Command } from 'commander';
import { notBuilt } from '../lib/errors.js';

export function registerConsent(program: Command): void {
  program
    .command('consent')
    .description('answer a pending consent request')
    .allowUnknownOption()
    .action(() => notBuilt('soup-agent consent'));
}
