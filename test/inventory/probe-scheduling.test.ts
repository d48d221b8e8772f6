import { describe, expect, it } from 'vitest';
import type { ModulesConfig } from '../../src/inventory/module-config.js';
import type { ConfiguredModule } from '../../src/inventory/modules.js';
import { buildSystemReport } from '../../src/inventory/report.js';
import type { ModuleProbe } from '../../src/inventory/types.js';
import { notBuilt } from '../../src/lib/errors.js';
import { silentLogger } from '../../src/lib/log.js';

// two ECUs on can0, one on can1, two serial modules on their own ports
const modules: ModulesConfig = {
  serial: [
    { name: 's-a', path: '/dev/ttyA', baudRate: 115200, protocol: 'smp' },
    { name: 's-b', path: '/dev/ttyB', baudRate: 115200, protocol: 'smp' },
  ],
  can: [
    {
      bus: 'can0',
      bitrate: 500000,
      ecus: [
        { name: 'e-1', txId: '0x7e0', rxId: '0x7e8' },
        { name: 'e-2', txId: '0x7e1', rxId: '0x7e9' },
      ],
    },
    { bus: 'can1', bitrate: 500000, ecus: [{ name: 'e-3', txId: '0x7e0', rxId: '0x7e8' }] },
  ],
  local: [{ name: 'gateway', gateway: true, handler: 'rawfile', target: '/tmp/x' }],
};

function linkOf(m: ConfiguredModule): string {
  const c = m.config!;
  return c.kind === 'serial' ? c.entry.path : c.kind === 'can' ? c.bus.bus : 'local';
}

/** Probes that take `ms(name)` and record, per link, how many run at once. */
function recordingProbes(ms: (name: string) => number) {
  const active = new Map<string, number>();
  const peakPerLink = new Map<string, number>();
  let running = 0;
  let peakOverall = 0;
  const probeFor = (m: ConfiguredModule): ModuleProbe => ({
    name: m.name,
    config: m.config!,
    async probe() {
      const link = linkOf(m);
      active.set(link, (active.get(link) ?? 0) + 1);
      peakPerLink.set(link, Math.max(peakPerLink.get(link) ?? 0, active.get(link)!));
      peakOverall = Math.max(peakOverall, ++running);
      await new Promise((r) => setTimeout(r, ms(m.name)));
      active.set(link, active.get(link)! - 1);
      running--;
      return { attributes: { 'module-id': m.name } };
    },
  });
  return { probeFor, peakPerLink, peak: () => peakOverall };
}

const deps = {
  controllerId: 'gw-0001',
  modules,
  agentVersion: '1.0.0',
  facts: async () => ({ os: 'Debian 12', arch: 'arm' }),
  installedVersion: () => undefined,
  links: { serial: () => notBuilt('links'), can: () => notBuilt('links') },
  log: silentLogger(),
  now: () => 0,
};

describe('inventory probe scheduling', () => {
  it('probes different links in parallel, never two modules of one link at once, and keeps the sorted order', async () => {
    // the first module in sorted order is the slowest: completion order differs from report order
    const rec = recordingProbes((name) => (name === 'e-1' ? 60 : 10));
    const report = await buildSystemReport({ ...deps, probeFor: rec.probeFor });
    expect(report.modules.map((m) => m.name)).toEqual(['gateway', 'e-1', 'e-2', 'e-3', 's-a', 's-b']);
    expect(report.modules.map((m) => m.attributes['module-id'])).toEqual([
      undefined,
      'e-1',
      'e-2',
      'e-3',
      's-a',
      's-b',
    ]);
    expect(Math.max(...rec.peakPerLink.values())).toBe(1);
    expect(rec.peak()).toBeGreaterThan(1);
  });

  it('sequential probing runs one probe at a time over all links', async () => {
    const rec = recordingProbes(() => 5);
    const report = await buildSystemReport({ ...deps, probeFor: rec.probeFor, probing: 'sequential' });
    expect(report.modules).toHaveLength(6);
    expect(rec.peak()).toBe(1);
  });
});
