import type { Command } from 'commander';
import { notBuilt } from '../lib/errors.js';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('ask the running daemon to poll now')
    .allowUnknownOption()
    .action(() => notBuilt('soup-agent check'));
}
