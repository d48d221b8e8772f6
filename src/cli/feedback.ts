import { resolve } from 'node:path';
import type { Command } from 'commander';
import { offlineRecords, writeOfflineFeedback } from '../agent/bundle/offline-feedback.js';
import { StateStore } from '../agent/store.js';
import { agentConfig, type ConfigOption, withConfigOption } from './agent-options.js';

export function registerFeedback(program: Command): void {
  const feedback = program.command('feedback').description('feedback recorded offline');
  withConfigOption(
    feedback
      .command('export')
      .description('write feedback recorded while offline ({records: […]} as POST offlineFeedback takes it)')
      .requiredOption('-o, --out <file>', 'where to write it'),
  ).action(async (options: ConfigOption & { out: string }) => {
    const config = agentConfig(options);
    const store = StateStore.open(config.dataDir);
    let count: number;
    try {
      const records = offlineRecords(store);
      count = records.records.length;
      await writeOfflineFeedback(resolve(options.out), records);
    } finally {
      store.close();
    }
    process.stdout.write(`${count} offline feedback record(s) written to ${options.out}\n`);
  });
}
