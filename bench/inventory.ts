/**
 * Inventory of 64 modules: wall time of one system report over real links — 16 SMP modules, each on its
 * own pseudo-terminal at 115200 baud, and 48 UDS ECUs on 4 SLCAN buses (12 per bus) at 500 kbit/s — all
 * simulated by `soup-agent simulate` in its own process. Ours probes different links in parallel (one
 * probe per link at a time); the baseline, measured in the same run on the same links, probes one module
 * at a time.
 *
 *   node dist/bench/inventory.js [rounds=3]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli } from '../src/demo/processes.js';
import type { ModulesConfig } from '../src/inventory/module-config.js';
import { buildSystemReport } from '../src/inventory/report.js';
import { silentLogger } from '../src/lib/log.js';
import { createLinkProvider } from '../src/protocols/buses/links.js';
import { median } from './_bench-util.js';

const rounds = Number(process.argv[2] ?? 3);
const SMP_MODULES = 16;
const CAN_BUSES = 4;
const ECUS_PER_BUS = 12;
const hex = (n: number) => `0x${n.toString(16)}`;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'soup-bench-inventory-'));
  const sim: Record<string, unknown>[] = [];
  const modules: Required<Pick<ModulesConfig, 'serial' | 'can'>> = { serial: [], can: [] };
  for (let i = 0; i < SMP_MODULES; i++) {
    const path = join(dir, `smp${i}`);
    sim.push({
      protocol: 'smp',
      name: `mcu-${i}`,
      link: { pty: path, baud: 115200 },
      serialNumber: `SN-MCU-${i}`,
      attributes: { 'module-id': '5000', hwVersion: '1.2' },
      slotSize: 65536,
      bufSize: 512,
      image: '1.0.0',
      faults: [],
    });
    modules.serial.push({ name: `mcu-${i}`, path, baudRate: 115200, protocol: 'smp' });
  }
  for (let b = 0; b < CAN_BUSES; b++) {
    const path = join(dir, `can${b}`);
    const ecus = [];
    for (let e = 0; e < ECUS_PER_BUS; e++) {
      const name = `ecu-${b}-${e}`;
      sim.push({
        protocol: 'uds',
        name,
        link: { slcan: path, bitrate: 500000 },
        txId: hex(0x680 + e),
        rxId: hex(0x600 + e),
        serialNumber: `SN-${name}`,
        dids: { F187: '1337', F193: '1.7' },
        image: '2.0.1',
        security: { level: 1, key: 'xor:0xA5A5A5A5' },
        memory: { address: '0x08000000', size: 65536 },
        maxBlockLength: 4095,
        faults: [],
      });
      ecus.push({ name, txId: hex(0x600 + e), rxId: hex(0x680 + e), attributes: { 'module-id': '4711' } });
    }
    modules.can.push({ bus: `slcan:${path}`, bitrate: 500000, ecus });
  }
  const simConfig = join(dir, 'simulate.json');
  await writeFile(simConfig, JSON.stringify({ modules: sim }));
  const simulator = startCli('simulate', ['simulate', '-c', simConfig], {
    logFile: join(dir, 'simulate.log'),
  });
  const links = createLinkProvider();
  try {
    await simulator.waitForLine((l) => l.ready === true, 60_000);
    const deps = {
      controllerId: 'gw-bench',
      modules,
      agentVersion: '1.0.0',
      facts: async () => ({ os: 'bench', arch: 'x64' }),
      installedVersion: () => undefined,
      links,
      log: silentLogger(),
      now: () => Date.now(),
    };
    const time = async (probing: 'per-link' | 'sequential') => {
      const t0 = performance.now();
      const report = await buildSystemReport({ ...deps, probing });
      const ms = performance.now() - t0;
      const down = report.modules.filter((m) => m.status === 'unreachable').map((m) => m.name);
      if (report.modules.length !== 65 || down.length > 0) {
        throw new Error(
          `inventory incomplete: ${report.modules.length} modules, unreachable: ${down.join(', ')}`,
        );
      }
      return ms;
    };
    await time('per-link'); // opens the links once, as the daemon keeps them open
    const ours: number[] = [];
    const base: number[] = [];
    for (let r = 0; r < rounds; r++) {
      ours.push(await time('per-link'));
      base.push(await time('sequential'));
    }
    const o = median(ours);
    const b = median(base);
    console.log(
      `inventory of 64 modules (16 SMP ptys at 115200, 4 SLCAN buses x 12 ECUs at 500k), median of ${rounds}:`,
    );
    console.log(
      `inventory 64 modules: ours ${(o / 1000).toFixed(2)} s, baseline (one probe at a time) ${(b / 1000).toFixed(2)} s, ratio ${(o / b).toFixed(2)}`,
    );
  } finally {
    await links.closeAll();
    await simulator.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
