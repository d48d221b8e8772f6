/**
 * `soup-agent simulate -c FILE`: starts the simulated modules of a config file (`module-protocols.md`,
 * "Simulated modules"), prints one JSON line per module (`{"name","protocol","path"}`, plus `txId`/`rxId`
 * for UDS) and then `{"ready":true}`, and runs until SIGTERM or SIGINT (exit 0). A bad file is one line
 * naming the key path, exit 2.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { SoupError } from '../lib/errors.js';
import { createLogger } from '../lib/log.js';
import { parseSimulateConfig, type SmpModuleSimConfig } from '../simulate/config.js';
import { startSmpModule } from '../simulate/smp/index.js';
import type { SimulatedModule } from '../simulate/types.js';
import { startUdsEcus } from '../simulate/uds/index.js';
import { CliExit } from './exit.js';

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('simulated modules for tests and rigs')
    .requiredOption('-c, --config <file>', 'simulate configuration file (JSON)')
    .action(async (opts: { config: string }) => {
      await runSimulate(opts.config);
    });
}

async function loadConfig(file: string) {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliExit(
      2,
      `simulate: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliExit(2, `${file}: not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseSimulateConfig(value, file);
  } catch (err) {
    throw new CliExit(2, (err as Error).message, err);
  }
}

export async function runSimulate(file: string): Promise<void> {
  const config = await loadConfig(file);
  const log = createLogger({ level: process.env.SOUP_LOG_LEVEL ?? 'warn' }).child({ component: 'simulate' });
  const started: SimulatedModule[] = [];
  const stopAll = async () => {
    for (const m of started.splice(0).reverse()) await m.close().catch(() => {});
  };
  try {
    for (const entry of config.modules) {
      if (entry.protocol === 'smp') {
        started.push(await startSmpModule(entry as SmpModuleSimConfig & Record<string, unknown>, { log }));
      }
    }
    const uds = config.modules.filter((m) => m.protocol === 'uds') as Record<string, unknown>[];
    if (uds.length > 0) started.push(...(await startUdsEcus(uds)));
  } catch (err) {
    await stopAll();
    throw err instanceof SoupError
      ? err
      : new SoupError('SOUP_E_SIMULATE', `simulate: ${(err as Error).message}`);
  }
  const byName = new Map(started.map((m) => [m.name, m]));
  for (const entry of config.modules) {
    const m = byName.get(entry.name);
    if (!m) continue;
    const line: Record<string, string> = { name: m.name, protocol: m.protocol, path: m.path };
    if (m.txId !== undefined) line.txId = m.txId;
    if (m.rxId !== undefined) line.rxId = m.rxId;
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await stopAll();
  process.exitCode = 0;
}
