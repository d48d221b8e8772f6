import { describe, expect, it } from 'vitest';
import type { ModulesConfig } from '../../src/inventory/module-config.js';
import { buildSystemReport, reportHash } from '../../src/inventory/report.js';
import type { ModuleProbe } from '../../src/inventory/types.js';
import { notBuilt } from '../../src/lib/errors.js';
import { silentLogger } from '../../src/lib/log.js';

const modules: ModulesConfig = {
  serial: [
    {
      name: 'display',
      path: '/dev/ttyUSB0',
      baudRate: 115200,
      protocol: 'smp',
      attributes: { 'module-id': '5000', hwVersion: 'static' },
    },
  ],
  can: [
    {
      bus: 'can0',
      bitrate: 500000,
      ecus: [{ name: 'brake', txId: '0x7e0', rxId: '0x7e8', attributes: { 'module-id': '4711' } }],
    },
  ],
  local: [
    {
      name: 'gateway',
      gateway: true,
      handler: 'rawfile',
      target: '/tmp/x',
      attributes: { 'module-id': 'gw', swVersion: '1.0.0' },
    },
    { name: 'app', handler: 'rawfile', target: '/tmp/y', type: 'app-file' },
  ],
};

const deps = (over: Partial<Parameters<typeof buildSystemReport>[0]> = {}) => ({
  controllerId: 'gw-0001',
  modules,
  agentVersion: '1.0.0',
  facts: async () => ({ os: 'Debian 12', arch: 'arm' }),
  installedVersion: (name: string) => (name === 'gateway' ? '1.4.0' : undefined),
  links: { serial: () => notBuilt('links'), can: () => notBuilt('links') },
  log: silentLogger(),
  now: () => Date.UTC(2026, 10, 22, 10, 0, 0),
  ...over,
});

describe('system report', () => {
  it('lists every module, gateway first with facts and controllerId, others sorted; probes win over static attributes', async () => {
    const report = await buildSystemReport(
      deps({
        probeFor: (m): ModuleProbe => ({
          name: m.name,
          config: m.config!,
          probe: async () =>
            m.name === 'brake'
              ? { serialNumber: 'SN-778812', attributes: { hwVersion: '1.7', swVersion: '2.0.1' } }
              : { attributes: { hwVersion: '2.0', swVersion: '1.1.0' } },
        }),
      }),
    );
    expect(report.timestamp).toBe('2026-11-22T10:00:00Z');
    expect(report.gatewayId).toBe('gw-0001');
    expect(report.modules).toEqual([
      {
        id: 'gw-0001',
        type: 'gateway',
        name: 'gateway',
        attributes: {
          'module-id': 'gw',
          swVersion: '1.4.0',
          os: 'Debian 12',
          arch: 'arm',
          agentVersion: '1.0.0',
        },
      },
      { id: 'gw-0001/app', type: 'app-file', name: 'app', attributes: {} },
      {
        id: 'SN-778812',
        type: '4711',
        name: 'brake',
        attributes: { 'module-id': '4711', hwVersion: '1.7', swVersion: '2.0.1' },
      },
      {
        id: 'gw-0001/display',
        type: '5000',
        name: 'display',
        attributes: { 'module-id': '5000', hwVersion: '2.0', swVersion: '1.1.0' },
      },
    ]);
  });

  it('a failing probe (here: the bus code not built) makes its module unreachable; the rest still go out', async () => {
    const report = await buildSystemReport(deps());
    const byName = Object.fromEntries(report.modules.map((m) => [m.name, m]));
    expect(byName.display).toEqual({
      id: 'gw-0001/display',
      type: 'unknown',
      name: 'display',
      status: 'unreachable',
      attributes: {},
    });
    expect(byName.brake?.status).toBe('unreachable');
    expect(byName.gateway?.attributes.swVersion).toBe('1.4.0');
  });

  it('a configured swVersion is reported until the agent installs one; a missing gateway entry is synthesized', async () => {
    const report = await buildSystemReport(
      deps({
        modules: { local: [{ name: 'app', handler: 'dummy', attributes: { swVersion: '0.9' } }] },
        installedVersion: () => undefined,
      }),
    );
    expect(report.modules.map((m) => [m.name, m.id, m.type])).toEqual([
      ['gateway', 'gw-0001', 'gateway'],
      ['app', 'gw-0001/app', 'unknown'],
    ]);
    expect(report.modules[1]?.attributes.swVersion).toBe('0.9');
  });

  it('the hash ignores the timestamp and attribute order, and changes with content', async () => {
    const a = await buildSystemReport(deps());
    const b = await buildSystemReport(deps({ now: () => 0 }));
    expect(reportHash(a)).toBe(reportHash(b));
    const c = await buildSystemReport(deps({ installedVersion: () => '9.9.9' }));
    expect(reportHash(c)).not.toBe(reportHash(a));
  });
});
