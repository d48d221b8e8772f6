import type { Command } from 'commander';
import { daemonPid, formatStatus, readStatus, type StatusJson } from '../agent/status.js';
import { isSoupError, oneLine } from '../lib/errors.js';
import { agentConfig, type ConfigOption, withConfigOption } from './agent-options.js';
import { CliExit } from './exit.js';
import { AGENT_VERSION } from './version.js';

/**
 * `status` says only what it knows: state it cannot read, or a daemon it may not reach, is exit 2 with
 * the reason, never "not running" or "never polled" (`docs/cli.md`, "Exit codes"). `--running` asks only
 * whether the daemon answers (health checks): exit 3 when it does not run.
 */
export function registerStatus(program: Command): void {
  withConfigOption(program.command('status').description('what an installer needs at a glance'))
    .option('--json', 'machine-readable form')
    .option('--running', 'only whether the daemon runs: exit 0 running, 3 not running (health checks)')
    .action(async (options: ConfigOption & { json?: boolean; running?: boolean }) => {
      const config = agentConfig(options);
      if (options.running) {
        const pid = await unknownIsFatal(() => daemonPid(config.dataDir));
        if (pid === null) throw new CliExit(3, 'status: the daemon is not running');
        process.stdout.write(
          options.json ? `${JSON.stringify({ running: true, pid })}\n` : `running, pid ${pid}\n`,
        );
        return;
      }
      const status: StatusJson = await unknownIsFatal(async () => {
        try {
          return await readStatus(config, AGENT_VERSION);
        } catch (err) {
          if (isSoupError(err, 'SOUP_E_STATE') || (err as { code?: string }).code?.startsWith('SQLITE')) {
            throw new CliExit(
              2,
              `status: cannot read the agent state: ${oneLine(err)}; run as root or as a member of the soup-agent group`,
            );
          }
          throw err;
        }
      });
      process.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    });
}

/** A daemon this user may not reach, or one that does not answer: whether it runs is unknown, exit 2. */
async function unknownIsFatal<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (isSoupError(err, 'SOUP_E_DAEMON_ACCESS') || isSoupError(err, 'SOUP_E_DAEMON_SILENT'))
      throw new CliExit(2, `status: ${err.message}`);
    throw err;
  }
}
