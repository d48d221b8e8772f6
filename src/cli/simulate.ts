import type { Command } from 'commander';
import { notBuilt } from '../lib/errors.js';

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('simulated modules for tests and rigs')
    .allowUnknownOption()
    .action(() => notBuilt('soup-agent simulate'));
}
