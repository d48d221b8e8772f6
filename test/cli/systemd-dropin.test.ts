/**
 * `soup-agent systemd-dropin`: what a configuration needs beyond the hardened unit, one line per need
 * with the key that asks for it; on the demo's configuration, the unit plus its drop-in still passes
 * `systemd-analyze verify` with no output, and systemd applies the drop-in (security lists it).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/agent/config.js';
import { dropinNeeds, renderDropin } from '../../src/cli/systemd-dropin.js';
import { demoModulesConfig } from '../../src/demo/system.js';
import { cli } from './agent-fixture.js';

const root = new URL('../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'soup-dropin-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const BASE = {
  server: {
    url: 'http://127.0.0.1:8080',
    tenant: 'DEFAULT',
    controllerId: 'gw-1',
    auth: { targetToken: 't' },
  },
  dataDir: '/var/lib/soup-agent',
  trust: { keys: '/etc/soup-agent/trusted.jwks.json' },
};

function lines(patch: Record<string, unknown>): string[] {
  return dropinNeeds(buildConfig({ ...BASE, modules: {}, ...patch })).map((n) => n.line);
}

describe('systemd-dropin: what each configuration key asks for', () => {
  it('the unit alone is enough for ttyS/ttyUSB/ttyACM ports and the default state directory', () => {
    const serial = ['/dev/ttyUSB0', '/dev/ttyACM1', '/dev/ttyS2'].map((path) => ({
      path,
      baudRate: 115200,
      protocol: 'smp',
    }));
    expect(lines({ modules: { serial } })).toEqual([]);
  });

  it('other serial devices, SLCAN adapters and pseudo-terminal links', () => {
    expect(
      lines({
        modules: {
          serial: [
            { path: '/dev/ttyAMA0', baudRate: 115200, protocol: 'smp' },
            { path: '/run/sim/display', baudRate: 115200, protocol: 'smp' },
          ],
          can: [{ bus: 'slcan:/dev/serial/by-id/usb-canable', bitrate: 500000, ecus: [] }],
        },
      }),
    ).toEqual([
      'DeviceAllow=/dev/ttyAMA0 rw',
      'DeviceAllow=char-pts rw',
      'DeviceAllow=/dev/serial/by-id/usb-canable rw',
    ]);
  });

  it('SocketCAN: the AF_CAN address family, once for several buses', () => {
    const bus = (name: string) => ({ bus: name, bitrate: 500000, ecus: [] });
    expect(lines({ modules: { can: [bus('can0'), bus('can1')] } })).toEqual([
      'RestrictAddressFamilies=AF_CAN',
    ]);
  });

  it('raw: a block device with group disk; an MTD device as root; an image file', () => {
    const raw = (name: string, target: string) => ({ name, handler: 'raw', target });
    expect(lines({ modules: { local: [raw('rootfs', '/dev/mmcblk0p3')] } })).toEqual([
      'DeviceAllow=/dev/mmcblk0p3 rw',
      'SupplementaryGroups=disk',
    ]);
    expect(lines({ modules: { local: [raw('boot', '/dev/mtd2')] } })).toEqual([
      'DeviceAllow=/dev/mtd2 rw',
      'User=root',
    ]);
    expect(lines({ modules: { local: [raw('disk', '/srv/images/disk.img')] } })).toEqual([
      'ReadWritePaths=/srv/images/disk.img',
    ]);
  });

  it('rawfile: nothing inside the state directory; its directory elsewhere; root for the OS own directories', () => {
    const rawfile = (target: string) => ({
      modules: { local: [{ name: 'gw', handler: 'rawfile', target }] },
    });
    expect(lines(rawfile('/var/lib/soup-agent/slot-b.img'))).toEqual([]);
    expect(lines(rawfile('/srv/firmware/app.bin'))).toEqual(['ReadWritePaths=/srv/firmware']);
    expect(lines(rawfile('/boot/firmware/kernel.img'))).toEqual([
      'ReadWritePaths=/boot/firmware',
      'User=root',
    ]);
  });

  it('a dataDir elsewhere; paths under /tmp and /home leave those trees shared', () => {
    expect(lines({ dataDir: '/data/soup' })).toEqual(['ReadWritePaths=/data/soup']);
    expect(lines({ dataDir: '/tmp/soup' })).toEqual(['ReadWritePaths=/tmp/soup', 'PrivateTmp=no']);
    expect(lines({ dataDir: '/home/rig/soup' })).toEqual(['ReadWritePaths=/home/rig/soup', 'ProtectHome=no']);
  });
});

describe('systemd-dropin: every kind of line is a valid unit setting', () => {
  it('a configuration asking for all of them: the unit with its drop-in passes verify with no output', () => {
    const config = buildConfig({
      ...BASE,
      dataDir: '/home/rig/soup',
      modules: {
        serial: [
          { path: '/dev/ttyAMA0', baudRate: 115200, protocol: 'smp' },
          { path: '/tmp/sim/display', baudRate: 115200, protocol: 'smp' },
        ],
        can: [{ bus: 'can0', bitrate: 500000, ecus: [] }],
        local: [
          { name: 'rootfs', handler: 'raw', target: '/dev/mmcblk0p3' },
          { name: 'boot', handler: 'raw', target: '/dev/mtd2' },
          { name: 'kernel', handler: 'rawfile', target: '/boot/firmware/kernel.img' },
        ],
      },
    });
    const units = join(work, 'all-units');
    mkdirSync(join(units, 'soup-agent.service.d'), { recursive: true });
    const unit = readFileSync(join(root, 'systemd/soup-agent.service'), 'utf8');
    writeFileSync(
      join(units, 'soup-agent.service'),
      unit.replace('/usr/bin/soup-agent ', `${process.execPath} `),
    );
    const dropin = renderDropin(config, 'all.json');
    expect(dropin.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([
      '[Service]',
      'ReadWritePaths=/home/rig/soup',
      'DeviceAllow=/dev/ttyAMA0 rw',
      'DeviceAllow=char-pts rw',
      'RestrictAddressFamilies=AF_CAN',
      'DeviceAllow=/dev/mmcblk0p3 rw',
      'SupplementaryGroups=disk',
      'DeviceAllow=/dev/mtd2 rw',
      'User=root',
      'ReadWritePaths=/boot/firmware',
      'PrivateTmp=no',
      'ProtectHome=no',
    ]);
    writeFileSync(join(units, 'soup-agent.service.d/config.conf'), dropin);
    const verify = spawnSync('systemd-analyze', ['verify', join(units, 'soup-agent.service')], {
      encoding: 'utf8',
    });
    expect(`${verify.stdout}${verify.stderr}`).toBe('');
    const security = spawnSync(
      'systemd-analyze',
      ['security', '--offline=true', join(units, 'soup-agent.service')],
      {
        encoding: 'utf8',
      },
    );
    expect(security.stdout).toMatch(/User=\/DynamicUser=\s+Service runs as root user/);
    // AF_CAN is added to the unit's allow list (exotic for systemd), which still keeps AF_PACKET out
    expect(security.stdout).toMatch(/RestrictAddressFamilies=~…\s+Service may allocate exotic sockets/);
    expect(security.stdout).toMatch(
      /RestrictAddressFamilies=~AF_PACKET\s+Service cannot allocate packet sockets/,
    );
  });
});

describe('systemd-dropin on the demo configuration', () => {
  const dev = join(work, 'dev');
  const gatewayDir = join(work, 'gateway');
  const dataDir = join(work, 'agent', 'data');
  const configFile = join(work, 'config.json');
  // the configuration `soup-agent demo` writes: simulated SMP and UDS modules, a rawfile gateway image
  writeFileSync(
    configFile,
    JSON.stringify({
      ...BASE,
      dataDir,
      modules: {
        ...demoModulesConfig(dev, { smp: true, uds: true }),
        local: [
          {
            name: 'gateway',
            gateway: true,
            type: 'gateway',
            attributes: { 'module-id': 'gw', swVersion: '1.0.0' },
            handler: 'rawfile',
            target: join(gatewayDir, 'rootfs.img'),
          },
        ],
      },
      consent: 'never',
    }),
  );

  it('prints the drop-in, each line after the key that asks for it', () => {
    const r = cli(['systemd-dropin', '-c', configFile]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        `# soup-agent.service drop-in for ${configFile}, made by \`soup-agent systemd-dropin\`.`,
        '# Install as /etc/systemd/system/soup-agent.service.d/config.conf, then `systemctl daemon-reload`.',
        '[Service]',
        `# dataDir: ${dataDir} (owned by soup-agent)`,
        `ReadWritePaths=${dataDir}`,
        `# modules.serial[0].path: ${join(dev, 'display')} (outside /dev: a link to a pseudo-terminal, e.g. a simulated module)`,
        'DeviceAllow=char-pts rw',
        `# modules.local[0].target: ${join(gatewayDir, 'rootfs.img')} is written beside it and renamed`,
        `ReadWritePaths=${gatewayDir}`,
        '# paths under /tmp or /var/tmp are shared with the rest of the system',
        'PrivateTmp=no',
        '',
      ].join('\n'),
    );
  });

  it('the unit with this drop-in passes verify with no output, and systemd applies it', () => {
    const units = join(work, 'units');
    mkdirSync(join(units, 'soup-agent.service.d'), { recursive: true });
    const unit = readFileSync(join(root, 'systemd/soup-agent.service'), 'utf8');
    writeFileSync(
      join(units, 'soup-agent.service'),
      unit.replace('/usr/bin/soup-agent ', `${process.execPath} `),
    );
    writeFileSync(
      join(units, 'soup-agent.service.d/config.conf'),
      cli(['systemd-dropin', '-c', configFile]).stdout,
    );
    const verify = spawnSync('systemd-analyze', ['verify', join(units, 'soup-agent.service')], {
      encoding: 'utf8',
    });
    expect(`${verify.stdout}${verify.stderr}`).toBe('');
    expect(verify.status).toBe(0);
    const security = spawnSync(
      'systemd-analyze',
      ['security', '--offline=true', join(units, 'soup-agent.service')],
      {
        encoding: 'utf8',
      },
    );
    expect(security.stdout).toMatch(/DeviceAllow=.*char-pts:rw/);
    expect(security.stdout).toMatch(/PrivateTmp=\s+Service has access to other software's temporary files/);
  });

  it('a configuration error is one line and exit 2', () => {
    const bad = join(work, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...BASE, modules: { serial: [{ path: '/dev/ttyUSB0' }] } }));
    const r = cli(['systemd-dropin', '-c', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('soup-agent: config: modules.serial[0].baudRate is missing\n');
  });
});
