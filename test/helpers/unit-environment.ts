/**
 * The environment the systemd unit gives the agent: its `Environment=` lines (`systemd/soup-agent.service`),
 * each one `KEY=value` or `"KEY=value with spaces"`. Benchmarks and end-to-end tests start the agent with
 * it, so they measure and exercise the agent as it is deployed.
 */
import { existsSync, readFileSync } from 'node:fs';

/** The unit file, found from this module's folder up (it runs from `test/helpers/` and from `dist/`). */
function unitFile(): URL {
  for (let up = '../../'; up.length < 20; up += '../') {
    const url = new URL(`${up}systemd/soup-agent.service`, import.meta.url);
    if (existsSync(url)) return url;
  }
  throw new Error('systemd/soup-agent.service not found');
}

export function unitEnvironment(): Record<string, string> {
  const unit = readFileSync(unitFile(), 'utf8');
  const env: Record<string, string> = {};
  for (const [, raw] of unit.matchAll(/^Environment=(.*)$/gm)) {
    const assignment = raw?.trim().replace(/^"(.*)"$/, '$1') ?? '';
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new Error(`systemd/soup-agent.service: cannot read Environment=${raw}`);
    env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  return env;
}
