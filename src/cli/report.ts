import type { Command } from 'commander';
import { askDaemon } from '../agent/control-socket.js';
import { StateStore } from '../agent/store.js';
import { createGatewayFacts } from '../inventory/gateway-facts.js';
import { buildSystemReport } from '../inventory/report.js';
import { isSoupError } from '../lib/errors.js';
import { createLogger } from '../lib/log.js';
import { createLinkProvider } from '../protocols/buses/links.js';
import type { LinkProvider } from '../protocols/buses/types.js';
import type { SystemReport } from '../recipe/types.js';
import { agentConfig, type ConfigOption, withConfigOption } from './agent-options.js';
import { CliExit } from './exit.js';
import { AGENT_VERSION } from './version.js';

async function probeHere(options: ConfigOption): Promise<SystemReport> {
  const config = agentConfig(options);
  const store = StateStore.open(config.dataDir);
  let links: (LinkProvider & { closeAll(): Promise<void> }) | undefined;
  const lazy: LinkProvider = {
    serial: (path, baud) => {
      links ??= createLinkProvider();
      return links.serial(path, baud);
    },
    can: (bus, bitrate) => {
      links ??= createLinkProvider();
      return links.can(bus, bitrate);
    },
  };
  try {
    return await buildSystemReport({
      controllerId: config.server.controllerId,
      modules: config.modules,
      agentVersion: AGENT_VERSION,
      facts: createGatewayFacts(),
      installedVersion: (name) => store.get<string>(`installed.${name}`),
      links: lazy,
      log: createLogger({ level: 'error' }),
      now: () => Date.now(),
    });
  } finally {
    store.close();
    await links?.closeAll();
  }
}

function format(report: SystemReport): string {
  const lines = [`gateway ${report.gatewayId} at ${report.timestamp}`];
  for (const m of report.modules) {
    const attrs = Object.entries(m.attributes)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    lines.push(
      `  ${m.name.padEnd(16)} ${m.id.padEnd(24)} ${m.type.padEnd(10)} ${m.status === 'unreachable' ? 'UNREACHABLE' : attrs}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function registerReport(program: Command): void {
  withConfigOption(program.command('report').description('the system report now'))
    .option('--json', 'the report exactly as it is sent (PUT systemReport)')
    .action(async (options: ConfigOption & { json?: boolean }) => {
      const config = agentConfig(options);
      let report: SystemReport;
      try {
        const answer = await askDaemon(config.dataDir, { command: 'report' }, 120_000);
        if (!answer.ok) throw new CliExit(1, `report: ${answer.error}`);
        report = answer.report as SystemReport;
      } catch (err) {
        if (!isSoupError(err, 'SOUP_E_NO_DAEMON')) throw err;
        report = await probeHere(options);
      }
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : format(report));
      const unreachable = report.modules.filter((m) => m.status === 'unreachable').map((m) => m.name);
      if (unreachable.length > 0)
        throw new CliExit(1, `report: discovery failed for ${unreachable.join(', ')}`);
    });
}
