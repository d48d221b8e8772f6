import type { Command } from 'commander';
import { notBuilt } from '../lib/errors.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('the daemon: inventory, report, poll, update loop')
    .allowUnknownOption()
    .action(() => notBuilt('soup-agent run'));
}
