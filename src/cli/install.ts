import { resolve } from 'node:path';
import type { Command } from 'commander';
import { installBundleLocally } from '../agent/bundle/local-install.js';
import { askDaemon } from '../agent/control-socket.js';
import { phaseOf, stepsDone } from '../agent/machine.js';
import type { LastResult } from '../agent/run-loop.js';
import { readStatus } from '../agent/status.js';
import { systemClock } from '../lib/clock.js';
import { isSoupError, oneLine } from '../lib/errors.js';
import { createLogger } from '../lib/log.js';
import { UPDATE_STEPS } from '../recipe/status.js';
import { agentConfig, type ConfigOption, withConfigOption } from './agent-options.js';
import { CliExit } from './exit.js';
import { ProgressPrinter } from './install-progress.js';
import { AGENT_VERSION } from './version.js';

function verdict(last: LastResult): void {
  if (last.finished === 'success') {
    process.stdout.write(`action ${last.actionId}: success\n`);
    return;
  }
  const why = last.details.length > 0 ? `: ${last.details.join('; ')}` : '';
  throw new CliExit(1, `install: action ${last.actionId} ended ${last.finished}${why}`);
}

/** Through the running daemon: it starts the action; progress is read from the state until it ends. */
async function throughDaemon(
  config: ReturnType<typeof agentConfig>,
  bundle: string,
  printer: ProgressPrinter,
): Promise<'no-daemon' | LastResult> {
  let answer: Awaited<ReturnType<typeof askDaemon>>;
  try {
    answer = await askDaemon(config.dataDir, { command: 'install', bundle }, 300_000);
  } catch (err) {
    if (isSoupError(err, 'SOUP_E_NO_DAEMON')) return 'no-daemon';
    throw err;
  }
  if (!answer.ok) throw new CliExit(1, `install: ${answer.error.replace(/^bundle: /, '')}`);
  const actionId = String(answer.actionId);
  process.stdout.write(`installing action ${actionId} through the running daemon\n`);
  for (;;) {
    await systemClock.sleep(500);
    const s = await readStatus(config, AGENT_VERSION);
    if (s.update !== null && s.update.actionId === actionId) {
      printer.show(s.update);
      continue;
    }
    if (s.lastResult !== null && s.lastResult.actionId === actionId) {
      printer.done();
      return s.lastResult;
    }
    if (!s.agent.running) {
      printer.done();
      throw new CliExit(1, `install: the daemon stopped; action ${actionId} resumes when it starts again`);
    }
  }
}

export function registerInstall(program: Command): void {
  withConfigOption(
    program
      .command('install')
      .description('offline system update from a bundle (through the daemon when it runs)')
      .argument('<bundle>', 'the bundle file (soup-agent bundle create)'),
  ).action(async (file: string, options: ConfigOption) => {
    const config = agentConfig(options);
    const bundle = resolve(file);
    const printer = new ProgressPrinter(process.stdout, process.stdout.isTTY === true);
    const viaDaemon = await throughDaemon(config, bundle, printer);
    if (viaDaemon !== 'no-daemon') {
      verdict(viaDaemon);
      return;
    }
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let last: LastResult;
    try {
      last = await installBundleLocally(bundle, {
        config,
        log: createLogger({ level: process.env.SOUP_LOG_LEVEL ?? 'warn' }),
        clock: systemClock,
        agentVersion: AGENT_VERSION,
        signal: stop.signal,
        onStart: (m) =>
          process.stdout.write(
            `installing ${m.recipe.name} ${m.recipe.version} (action ${m.actionId}) from ${file}\n`,
          ),
        onTick: (runner) => {
          const current = runner.current;
          if (current === undefined) return;
          printer.show({
            actionId: current.ctx.actionId,
            phase: phaseOf(current.state),
            progress: { cnt: stepsDone(current.state), of: UPDATE_STEPS },
            modules: current.ctx.modules.map((m) => ({
              name: m.name,
              state: m.state,
              progress: m.progress ?? { cnt: 0, of: m.image?.size ?? 0 },
            })),
          });
        },
      });
    } catch (err) {
      printer.done();
      if (isSoupError(err, 'SOUP_E_BUNDLE'))
        throw new CliExit(1, `install: ${oneLine(err).replace(/^bundle: /, '')}`);
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    printer.done();
    verdict(last);
  });
}
