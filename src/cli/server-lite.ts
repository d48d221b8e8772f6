import type { Command } from 'commander';
import { notBuilt } from '../lib/errors.js';

export function registerServerLite(program: Command): void {
  program
    .command('server-lite')
    .description('the embedded backend')
    .allowUnknownOption()
    .action(() => notBuilt('soup-agent server-lite'));
}
