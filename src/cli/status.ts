import type { Command } from 'commander';
import { formatStatus, readStatus } from '../agent/status.js';
import { isSoupError, oneLine } from '../lib/errors.js';
import { agentConfig, type ConfigOption, withConfigOption } from './agent-options.js';
import { CliExit } from './exit.js';
import { AGENT_VERSION } from './version.js';

/**
 * `status` says only what it knows: state it cannot read, or a daemon it may not reach, is exit 2 with
 * the reason, never "not running" or "never polled" (`docs/cli.md`, "Exit codes").
 */
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
            `status: cannot read the agent state: ${oneLine(err)}; run as root or as a member of the soup-agent group`,
          );
        }
        if (isSoupError(err, 'SOUP_E_DAEMON_ACCESS') || isSoupError(err, 'SOUP_E_DAEMON_SILENT'))
          throw new CliExit(2, `status: ${(err as Error).message}`);
        throw err;
      }
      process.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    });
}
