import type { Command } from 'commander';
import { notBuilt } from '../lib/errors.js';

export function registerFeedback(program: Command): void {
  program
    .command('feedback')
    .description('export feedback recorded offline')
    .allowUnknownOption()
    .action(() => notBuilt('soup-agent feedback'));
}
