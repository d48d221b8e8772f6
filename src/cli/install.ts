import { resolve } from 'node:path';
import type { Command } from 'commander';
import { askDaemon } from '../agent/control-socket.js';
import { bundleDir, unpackOffline } from '../agent/offline.js';
import { offlineBundleLinks } from '../agent/offline-links.js';
import { createAgentServices } from '../agent/services.js';
import { readStatus } from '../agent/status.js';
import { PENDING_CONSENT } from '../agent/steps/consent.js';
import { StateStore } from '../agent/store.js';
import type { LastResult } from '../agent/update-runner.js';
import { systemClock } from '../lib/clock.js';
import { isSoupError } from '../lib/errors.js';
import { createLogger } from '../lib/log.js';
import { agentConfig, type ConfigOption, withConfigOption } from './agent-options.js';
import { CliExit } from './exit.js';
import { AGENT_VERSION } from './version.js';

function progressLine(phase: string, cnt: number, of: number): string {
  const width = 24;
  const filled = Math.round((cnt / of) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${cnt}/${of} ${phase}`;
}

function printer(): (line: string) => void {
  let last = '';
  return (line) => {
    if (line === last) return;
    last = line;
    if (process.stdout.isTTY) process.stdout.write(`\r${line.padEnd(60)}`);
    else process.stdout.write(`${line}\n`);
  };
}

function end(result: LastResult | undefined, actionId: string): void {
  if (process.stdout.isTTY) process.stdout.write('\n');
  if (result === undefined || result.actionId !== actionId)
    throw new CliExit(1, `install: action ${actionId} did not finish`);
  const why = result.details.length > 0 ? `: ${result.details.join('; ')}` : '';
  if (result.finished !== 'success')
    throw new CliExit(1, `install: action ${actionId} ${result.finished}${why}`);
  process.stdout.write(`installed: action ${actionId} success\n`);
}

export function registerInstall(program: Command): void {
  withConfigOption(
    program
      .command('install')
      .description('offline system update from a bundle')
      .argument('<bundle>', 'bundle file (tar)')
      .option('--allow-downgrade', 'install a recipe older than the installed one of the same name'),
  ).action(async (file: string, options: ConfigOption & { allowDowngrade?: boolean }) => {
    const allowDowngrade = options.allowDowngrade === true;
    const config = agentConfig(options);
    const bundle = resolve(file);
    const print = printer();
    // through the daemon when it runs (it holds the ports)
    let actionId: string | undefined;
    try {
      const answer = await askDaemon(
        config.dataDir,
        { command: 'install', bundle, ...(allowDowngrade ? { allowDowngrade } : {}) },
        120_000,
      );
      if (!answer.ok) throw new CliExit(1, `install: ${answer.error}`);
      actionId = String(answer.actionId);
    } catch (err) {
      if (!isSoupError(err, 'SOUP_E_NO_DAEMON')) throw err;
    }
    if (actionId !== undefined) {
      for (;;) {
        const s = await readStatus(config, AGENT_VERSION);
        if (s.update?.actionId === actionId)
          print(progressLine(s.update.phase, s.update.progress.cnt, s.update.progress.of));
        else if (s.lastResult?.actionId === actionId) return end(s.lastResult, actionId);
        else if (!s.agent.running)
          throw new CliExit(
            1,
            `install: the daemon stopped; action ${actionId} resumes when it starts again`,
          );
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    // no daemon: install here
    const store = StateStore.open(config.dataDir);
    const links = offlineBundleLinks();
    try {
      const running = store.loadAction<{ step: string }, unknown>();
      if (running !== undefined)
        throw new CliExit(
          1,
          `install: action ${running.actionId} is in progress (start the daemon to finish it)`,
        );
      const manifest = await unpackOffline(config, bundle, {
        installed: store.get('installedRecipe'),
        allowDowngrade,
      });
      if (store.isFinished(manifest.actionId))
        throw new CliExit(1, `install: action ${manifest.actionId} was already installed here`);
      const log = createLogger({ level: process.env.SOUP_LOG_LEVEL ?? 'warn' });
      const { runner } = createAgentServices({
        config,
        log,
        clock: systemClock,
        agentVersion: AGENT_VERSION,
        store,
        links,
      });
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      runner.startOffline(manifest.actionId, bundleDir(config, manifest.actionId), manifest.recipe);
      const timer = setInterval(() => {
        const current = runner.current;
        if (current !== undefined) {
          const s = current.state;
          print(progressLine(s.step, 0, 1).replace(/\[.*\] 0\/1 /, `[${s.step}] `));
        }
      }, 250);
      try {
        // waits (consent with `consent: always`) are waited out here; `soup-agent consent` answers
        let hinted = false;
        for (;;) {
          const done = await runner.advance(stop.signal);
          if (done.finished) break;
          if (stop.signal.aborted)
            throw new CliExit(1, `install: interrupted; action ${manifest.actionId} resumes with the daemon`);
          if (!hinted && store.get(PENDING_CONSENT) !== undefined) {
            hinted = true;
            if (process.stdout.isTTY) process.stdout.write('\n');
            process.stdout.write(
              `action ${manifest.actionId} waits for consent: soup-agent consent accept|deny\n`,
            );
          }
          await systemClock.sleep(Math.min(done.waitMs ?? 1000, 1000), stop.signal).catch(() => {});
        }
      } finally {
        clearInterval(timer);
      }
      end(store.get<LastResult>('lastResult'), manifest.actionId);
    } finally {
      store.close();
      await links.closeAll();
    }
  });
}
