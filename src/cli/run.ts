import type { Command } from 'commander';
import { runDaemon } from '../agent/daemon.js';
import { preflight } from '../agent/preflight.js';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/log.js';
import { createSdNotifier } from '../lib/sd-notify.js';
import { agentConfig, type ConfigOption, withConfigOption } from './agent-options.js';
import { CliExit } from './exit.js';
import { AGENT_VERSION } from './version.js';

export function registerRun(program: Command): void {
  withConfigOption(
    program.command('run').description('the daemon: inventory, report, poll, update loop'),
  ).action(async (options: ConfigOption) => {
    const config = agentConfig(options);
    // before the first report: a gateway that could not install anything does not announce itself
    const fault = preflight(config);
    if (fault !== null) throw new CliExit(2, `run: ${fault}`);
    const log = createLogger({ level: config.log.level });
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    await runDaemon({
      config,
      log,
      clock: systemClock,
      agentVersion: AGENT_VERSION,
      signal: stop.signal,
      notifier: createSdNotifier(),
    });
    // idle keep-alive sockets must not hold the process: a stopped daemon exits now
    process.exit(0);
  });
}
