/**
 * The demo system's attached modules, described once for both sides: what `soup-agent simulate` runs
 * (a display MCU speaking SMP on a pseudo-terminal, a brake ECU speaking UDS over SLCAN) and what the
 * agent's configuration says about them. The demo and the end-to-end tests build the same system.
 */
import { join } from 'node:path';
import type { ModulesConfig } from '../inventory/module-config.js';

export interface DemoModules {
  smp: boolean;
  uds: boolean;
}

export interface SimulatorOptions {
  /** Faults of the SMP display (`module-protocols.md`, simulated modules). */
  smpFaults?: unknown[];
  /** Simulated flash write speed of the display; 0 = instant. */
  flashWriteBytesPerSec?: number;
  /** Faults of the UDS brake ECU. */
  udsFaults?: unknown[];
}

/** Entries of the `simulate` configuration; `devDir` holds the pty symlinks the agent opens. */
export function demoSimulatedModules(
  devDir: string,
  modules: DemoModules,
  options: SimulatorOptions = {},
): unknown[] {
  const entries: unknown[] = [];
  if (modules.smp) {
    entries.push({
      protocol: 'smp',
      name: 'display',
      link: { pty: join(devDir, 'display'), baud: 921600 },
      serialNumber: 'SN-5000-1',
      attributes: { 'module-id': '5000', hwVersion: '1.2' },
      slotSize: 262144,
      bufSize: 512,
      flashWriteBytesPerSec: options.flashWriteBytesPerSec ?? 0,
      image: '1.0.0',
      faults: options.smpFaults ?? [],
    });
  }
  if (modules.uds) {
    entries.push({
      protocol: 'uds',
      name: 'brake',
      link: { slcan: join(devDir, 'can0'), bitrate: 500000 },
      txId: '0x7e8',
      rxId: '0x7e0',
      serialNumber: 'SN-778812',
      dids: { F187: '1337', F193: '1.7' },
      image: '2.0.1',
      security: { level: 1, key: 'xor:0xA5A5A5A5' },
      memory: { address: '0x08000000', size: 1048576 },
      maxBlockLength: 4095,
      faults: options.udsFaults ?? [],
    });
  }
  return entries;
}

/** The agent's `modules.serial` and `modules.can` for the same simulated modules. */
export function demoModulesConfig(
  devDir: string,
  modules: DemoModules,
): Required<Pick<ModulesConfig, 'serial' | 'can'>> {
  return {
    serial: modules.smp
      ? [
          {
            name: 'display',
            path: join(devDir, 'display'),
            baudRate: 921600,
            protocol: 'smp',
            attributes: { 'module-id': '5000' },
          },
        ]
      : [],
    can: modules.uds
      ? [
          {
            bus: `slcan:${join(devDir, 'can0')}`,
            bitrate: 500000,
            ecus: [
              {
                name: 'brake',
                txId: '0x7e0',
                rxId: '0x7e8',
                attributes: { 'module-id': '4711' },
                security: { level: 1, key: 'xor:0xA5A5A5A5' },
                memory: { address: '0x08000000', addressLength: 4, sizeLength: 4 },
                routines: { erase: '0xFF00', check: '0xFF01' },
              },
            ],
          },
        ]
      : [],
  };
}
