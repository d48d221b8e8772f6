import type { Command } from 'commander';
import { notBuilt } from '../lib/errors.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('the system report now')
    .allowUnknownOption()
    .action(() => notBuilt('soup-agent report'));
}
