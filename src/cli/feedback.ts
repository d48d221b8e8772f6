import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { offlineRecords } from '../agent/offline.js';
import { StateStore } from '../agent/store.js';
import { agentConfig, type ConfigOption, withConfigOption } from './agent-options.js';

export function registerFeedback(program: Command): void {
  const feedback = program.command('feedback').description('feedback recorded offline');
  withConfigOption(feedback.command('export').description('write feedback recorded while offline'))
    .requiredOption('-o, --output <file>', 'where to write `{records: [...]}` (POST offlineFeedback body)')
    .action(async (options: ConfigOption & { output: string }) => {
      const config = agentConfig(options);
      const store = StateStore.open(config.dataDir);
      try {
        const records = offlineRecords(store);
        await writeFile(options.output, `${JSON.stringify({ records }, null, 2)}\n`);
        process.stdout.write(`${records.length} offline feedback record(s) written to ${options.output}\n`);
      } finally {
        store.close();
      }
    });
}
