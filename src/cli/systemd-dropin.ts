/**
 * `soup-agent systemd-dropin [-c FILE]`: the drop-in a configuration needs beyond the hardened unit
 * (`systemd/soup-agent.service`). The unit runs as the system user `soup-agent` with a read-only system,
 * no capabilities and serial ports only; what a configuration adds is derived from it, one line per need,
 * each with a comment naming the key that asks for it (`docs/install.md`, "What a configuration needs"):
 *
 * - a serial port or SLCAN adapter other than /dev/ttyS*, ttyUSB*, ttyACM*: `DeviceAllow=` it; a path
 *   outside /dev is a link to a pseudo-terminal (simulated modules): `DeviceAllow=char-pts`;
 * - a SocketCAN bus: `RestrictAddressFamilies=AF_CAN` (CAN_RAW needs no capability);
 * - `raw` on a block device: `DeviceAllow=` it and the `disk` group; on an MTD device (root only):
 *   `User=root`; on a file: `ReadWritePaths=` it;
 * - `rawfile` outside the state directory: `ReadWritePaths=` its directory (the file is renamed in place);
 *   in a directory of the operating system, owned by root: `User=root` (no capability is added: root
 *   writes its own files without one);
 * - a `dataDir` other than /var/lib/soup-agent: `ReadWritePaths=` it;
 * - any of these under /tmp or /home: `PrivateTmp=no`, `ProtectHome=no`.
 *
 * The output is a function of the configuration only, so it can be generated on a build host and reviewed.
 */
import { dirname } from 'node:path';
import type { Command } from 'commander';
import type { AgentConfig } from '../agent/config.js';
import { configPath } from '../agent/config.js';
import { agentConfig, type ConfigOption, withConfigOption } from './agent-options.js';

/** The unit's StateDirectory. */
export const UNIT_STATE_DIR = '/var/lib/soup-agent';

/** Serial devices the unit already allows (its DeviceAllow= classes). */
const UNIT_SERIAL = /^\/dev\/tty(S|USB|ACM)\d+$/;

/** Directories of the operating system, owned by root: writing there takes root. */
const OS_TREES = ['/boot', '/efi', '/etc', '/usr', '/opt', '/lib', '/lib64', '/bin', '/sbin', '/var/lib'];

interface Need {
  line: string;
  why: string;
}

function inside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

function isOsTree(dir: string): boolean {
  return dir === '/' || OS_TREES.some((tree) => inside(dir, tree));
}

/** What a serial port or SLCAN adapter path needs beyond the unit. */
function serialNeed(path: string, where: string): Need | undefined {
  if (UNIT_SERIAL.test(path)) return undefined;
  if (inside(path, '/dev')) return { line: `DeviceAllow=${path} rw`, why: `${where}: ${path}` };
  return {
    line: 'DeviceAllow=char-pts rw',
    why: `${where}: ${path} (outside /dev: a link to a pseudo-terminal, e.g. a simulated module)`,
  };
}

/** Every line the configuration needs, in the order of the configuration, each once. */
export function dropinNeeds(config: AgentConfig): Need[] {
  const needs: Need[] = [];
  const paths: string[] = [];
  const add = (need: Need | undefined, path?: string) => {
    if (path !== undefined) paths.push(path);
    if (need !== undefined) needs.push(need);
  };
  if (!inside(config.dataDir, UNIT_STATE_DIR)) {
    add(
      { line: `ReadWritePaths=${config.dataDir}`, why: `dataDir: ${config.dataDir} (owned by soup-agent)` },
      config.dataDir,
    );
  }
  (config.modules.serial ?? []).forEach((m, i) => {
    add(serialNeed(m.path, `modules.serial[${i}].path`), m.path);
  });
  (config.modules.can ?? []).forEach((bus, i) => {
    const where = `modules.can[${i}].bus`;
    if (bus.bus.startsWith('slcan:')) {
      const path = bus.bus.slice('slcan:'.length);
      add(serialNeed(path, where), path);
    } else {
      add({ line: 'RestrictAddressFamilies=AF_CAN', why: `${where}: SocketCAN ${bus.bus}` });
    }
  });
  (config.modules.local ?? []).forEach((m, i) => {
    const where = `modules.local[${i}]`;
    if (m.target === undefined) return;
    if (m.handler === 'raw') {
      if (/^\/dev\/mtd\d+$/.test(m.target)) {
        add({ line: `DeviceAllow=${m.target} rw`, why: `${where}.target: MTD device ${m.target}` });
        add({ line: 'User=root', why: `${where}.target: MTD devices are root's alone` });
      } else if (inside(m.target, '/dev')) {
        add({ line: `DeviceAllow=${m.target} rw`, why: `${where}.target: block device ${m.target}` });
        add({ line: 'SupplementaryGroups=disk', why: `${where}.target: block devices belong to group disk` });
      } else {
        add({ line: `ReadWritePaths=${m.target}`, why: `${where}.target: image file ${m.target}` }, m.target);
      }
    } else if (m.handler === 'rawfile') {
      const dir = dirname(m.target);
      if (inside(dir, config.dataDir) || inside(dir, UNIT_STATE_DIR)) return;
      add(
        {
          line: `ReadWritePaths=${dir}`,
          why: `${where}.target: ${m.target} is written beside it and renamed`,
        },
        dir,
      );
      if (isOsTree(dir))
        add({ line: 'User=root', why: `${where}.target: ${dir} belongs to the operating system (root)` });
    }
  });
  if (paths.some((p) => inside(p, '/tmp') || inside(p, '/var/tmp')))
    add({
      line: 'PrivateTmp=no',
      why: 'paths under /tmp or /var/tmp are shared with the rest of the system',
    });
  if (paths.some((p) => inside(p, '/home') || inside(p, '/root') || inside(p, '/run/user')))
    add({ line: 'ProtectHome=no', why: 'paths under /home, /root or /run/user' });
  const seen = new Set<string>();
  return needs.filter((n) => !seen.has(n.line) && seen.add(n.line));
}

/** The drop-in file's text. */
export function renderDropin(config: AgentConfig, source: string): string {
  const needs = dropinNeeds(config);
  const out = [
    `# soup-agent.service drop-in for ${source}, made by \`soup-agent systemd-dropin\`.`,
    '# Install as /etc/systemd/system/soup-agent.service.d/config.conf, then `systemctl daemon-reload`.',
  ];
  if (needs.length === 0) out.push("# This configuration needs nothing beyond the unit's own sandbox.");
  out.push('[Service]');
  for (const need of needs) out.push(`# ${need.why}`, need.line);
  return `${out.join('\n')}\n`;
}

export function registerSystemdDropin(program: Command): void {
  withConfigOption(
    program
      .command('systemd-dropin')
      .description('print the systemd drop-in this configuration needs beyond the hardened unit'),
  ).action((options: ConfigOption) => {
    const config = agentConfig(options);
    process.stdout.write(renderDropin(config, configPath(options.config)));
  });
}
