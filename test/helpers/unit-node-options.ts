/**
 * The node options the systemd unit starts the agent with (`Environment=NODE_OPTIONS=…` in
 * `systemd/soup-agent.service`): end-to-end tests run the agent as it is deployed.
 */
import { readFileSync } from 'node:fs';

export function unitNodeOptions(): string {
  const unit = readFileSync(new URL('../../systemd/soup-agent.service', import.meta.url), 'utf8');
  const options = /^Environment="?NODE_OPTIONS=([^"\n]*)"?$/m.exec(unit)?.[1]?.trim();
  if (options === undefined) throw new Error('systemd/soup-agent.service sets no NODE_OPTIONS');
  return options;
}
