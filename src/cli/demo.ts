/**
 * `soup-agent demo`: one command, no set-up. server-lite, simulated modules and the agent run as separate
 * processes in a temporary directory; a recipe is created, signed and released; a full system update runs.
 * Exit 0 only when every check of the result holds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { runDemo } from '../demo/scenario.js';
import { CliExit } from './exit.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('a full system update, end to end, with no set-up')
    .option('--keep', 'keep the work directory (logs, databases, images) afterwards')
    .option('--gateway-only', 'update only the gateway itself (no simulated modules)')
    .option('--timeout <seconds>', 'upper bound for the update', '180')
    .action(async (opts: { keep?: boolean; gatewayOnly?: boolean; timeout: string }) => {
      const workDir = await mkdtemp(join(tmpdir(), 'soup-demo-'));
      const print = (line: string) => process.stdout.write(`${line}\n`);
      print(`soup-agent demo: working in ${workDir}`);
      let ok = false;
      try {
        const result = await runDemo({
          workDir,
          print,
          modules: { smp: !opts.gatewayOnly, uds: !opts.gatewayOnly },
          timeoutMs: Number(opts.timeout) * 1000,
        });
        ok = result.ok;
      } finally {
        if (opts.keep || !ok) print(`logs and state kept in ${workDir}`);
        else await rm(workDir, { recursive: true, force: true });
      }
      if (!ok) throw new CliExit(1, 'the system update did not succeed (see the checks above and the logs)');
      print('The system update succeeded.');
    });
}
