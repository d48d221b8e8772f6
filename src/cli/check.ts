import type { Command } from 'commander';
import { askDaemon } from '../agent/control-socket.js';
import { isSoupError } from '../lib/errors.js';
import { agentConfig, type ConfigOption, withConfigOption } from './agent-options.js';
import { CliExit } from './exit.js';

/** Exit 3: no daemon runs. Exit 2: this user may not reach it, so whether it runs is unknown. */
export function registerCheck(program: Command): void {
  withConfigOption(program.command('check').description('ask the running daemon to poll now')).action(
    async (options: ConfigOption) => {
      const config = agentConfig(options);
      try {
        const answer = await askDaemon(config.dataDir, { command: 'check' });
        if (!answer.ok) throw new CliExit(1, `check: ${answer.error}`);
      } catch (err) {
        if (isSoupError(err, 'SOUP_E_NO_DAEMON'))
          throw new CliExit(3, 'check: the daemon is not running (start it with soup-agent run)');
        if (isSoupError(err, 'SOUP_E_DAEMON_ACCESS')) throw new CliExit(2, `check: ${err.message}`);
        if (isSoupError(err, 'SOUP_E_DAEMON_SILENT')) throw new CliExit(1, `check: ${err.message}`);
        throw err;
      }
      process.stdout.write('poll requested\n');
    },
  );
}
