import type { Command } from 'commander';
import { notBuilt } from '../lib/errors.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('a full system update, end to end, with no set-up')
    .allowUnknownOption()
    .action(() => notBuilt('soup-agent demo'));
}
