import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { askDaemon } from '../agent/control-socket.js';
import { type ConsentRequest, PENDING_CONSENT } from '../agent/steps/consent.js';
import { StateStore } from '../agent/store.js';
import { isSoupError, oneLine } from '../lib/errors.js';
import { agentConfig, type ConfigOption, withConfigOption } from './agent-options.js';
import { CliExit } from './exit.js';

function who(): string {
  try {
    return `${userInfo().username} (command line)`;
  } catch {
    return 'command line';
  }
}

export function registerConsent(program: Command): void {
  withConfigOption(
    program
      .command('consent')
      .description('answer a pending consent request')
      .argument('<decision>', 'accept or deny')
      .argument('[actionId]', 'the action asked about (default: the pending one)'),
  ).action(async (decision: string, actionId: string | undefined, options: ConfigOption) => {
    if (decision !== 'accept' && decision !== 'deny')
      throw new CliExit(2, `consent: "${decision}" is neither accept nor deny`);
    const config = agentConfig(options);
    const by = who();
    try {
      const answer = await askDaemon(config.dataDir, {
        command: 'consent',
        decision,
        by,
        ...(actionId === undefined ? {} : { actionId }),
      });
      if (!answer.ok) throw new CliExit(1, `consent: ${answer.error}`);
      process.stdout.write(
        `${decision === 'accept' ? 'accepted' : 'denied'} action ${String(answer.actionId)}\n`,
      );
      return;
    } catch (err) {
      // a daemon this user may not reach may still run: recording the answer beside it would be a guess
      if (isSoupError(err, 'SOUP_E_DAEMON_ACCESS')) throw new CliExit(2, `consent: ${err.message}`);
      if (isSoupError(err, 'SOUP_E_DAEMON_SILENT')) throw new CliExit(1, `consent: ${err.message}`);
      if (!isSoupError(err, 'SOUP_E_NO_DAEMON')) throw err;
    }
    // no daemon: record the answer where it will find it when it starts
    try {
      recordAnswer(config.dataDir, decision, by, actionId);
    } catch (err) {
      if (isSoupError(err, 'SOUP_E_STATE') || (err as { code?: string }).code?.startsWith('SQLITE')) {
        throw new CliExit(
          2,
          `consent: cannot write the agent state in ${config.dataDir}: ${oneLine(err)}; run as the daemon's user or root`,
        );
      }
      throw err;
    }
  });
}

/** The answer, stored for the daemon's next start (there is none running now). */
function recordAnswer(
  dataDir: string,
  decision: 'accept' | 'deny',
  by: string,
  actionId: string | undefined,
): void {
  const store = StateStore.open(dataDir);
  try {
    const pending = store.get<ConsentRequest>(PENDING_CONSENT);
    if (pending === undefined || (actionId !== undefined && actionId !== pending.actionId)) {
      throw new CliExit(
        1,
        `consent: no consent request is pending${actionId === undefined ? '' : ` for action ${actionId}`}`,
      );
    }
    store.saveConsent({ actionId: pending.actionId, decision, by, at: Date.now() });
    process.stdout.write(
      `${decision === 'accept' ? 'accepted' : 'denied'} action ${pending.actionId} (the daemon will act on it when it runs)\n`,
    );
  } finally {
    store.close();
  }
}
