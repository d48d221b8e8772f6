import type { Command } from 'commander';
import { notBuilt } from '../lib/errors.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('what an installer needs at a glance')
    .allowUnknownOption()
    .action(() => notBuilt('soup-agent status'));
}
