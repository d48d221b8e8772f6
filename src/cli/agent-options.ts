/** The `-c FILE` option shared by the agent's commands and the configuration it loads. */
import type { Command } from 'commander';
import { type AgentConfig, configPath, loadConfig } from '../agent/config.js';

export interface ConfigOption {
  config?: string;
}

export function withConfigOption(command: Command): Command {
  return command.option(
    '-c, --config <file>',
    'configuration file (default: $SOUP_AGENT_CONFIG or /etc/soup-agent/config.json)',
  );
}

/** Loads the configuration (defaults → file → environment); SOUP_E_CONFIG → exit 2. */
export function agentConfig(options: ConfigOption): AgentConfig {
  return loadConfig(configPath(options.config), process.env);
}
