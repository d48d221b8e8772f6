import type { Command } from 'commander';
import { formatStatus, readStatus } from '../agent/status.js';
import { isSoupError } from '../lib/errors.js';
import { agentConfig, type ConfigOption, withConfigOption } from './agent-options.js';
import { CliExit } from './exit.js';
import { AGENT_VERSION } from './version.js';

export function registerStatus(program: Command): void {
  withConfigOption(program.command('status').description('what an installer needs at a glance'))
    .option('--json', 'machine-readable form')
    .action(async (options: ConfigOption & { json?: boolean }) => {
      const config = agentConfig(options);
      let status: Awaited<ReturnType<typeof readStatus>>;
      try {
        status = await readStatus(config, AGENT_VERSION);
      } catch (err) {
        if (isSoupError(err, 'SOUP_E_STATE') || (err as { code?: string }).code?.startsWith('SQLITE')) {
          throw new CliExit(
            2,
            `status: cannot read the agent state in ${config.dataDir} (${(err as Error).message})`,
          );
        }
        throw err;
      }
      process.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    });
}
