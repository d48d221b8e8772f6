import { describe, expect, it } from 'vitest';
import { parseSimulateConfig } from '../../src/simulate/config.js';

const specExample = {
  modules: [
    {
      protocol: 'smp',
      name: 'display',
      link: { pty: '/tmp/soup-sim/display', baud: 115200 },
      serialNumber: 'SN-5000-1',
      attributes: { 'module-id': '5000', hwVersion: '1.2' },
      slotSize: 262144,
      bufSize: 512,
      flashWriteBytesPerSec: 0,
      image: '1.0.0',
      faults: [{ type: 'disconnect', atOffset: 65536, count: 1 }],
    },
    {
      protocol: 'uds',
      name: 'brake',
      link: { slcan: '/tmp/soup-sim/can0', bitrate: 500000 },
      txId: '0x7e8',
      rxId: '0x7e0',
      serialNumber: 'SN-778812',
      dids: { F187: '1337', F193: '1.7' },
      image: '2.0.1',
      security: { level: 1, key: 'xor:0xA5A5A5A5' },
      memory: { address: '0x08000000', size: 1048576 },
      maxBlockLength: 4095,
      faults: [],
    },
  ],
};

const withSmp = (patch: Record<string, unknown>) => ({
  modules: [{ ...specExample.modules[0], ...patch }, specExample.modules[1]],
});

describe('simulate configuration', () => {
  it('accepts the example of module-protocols.md', () => {
    expect(parseSimulateConfig(structuredClone(specExample)).modules.map((m) => m.name)).toEqual([
      'display',
      'brake',
    ]);
  });

  it.each([
    [
      { faults: [{ type: 'explode' }] },
      'modules[0].faults[0].type: must be one of "drop-frame", "corrupt-frame", "stall", "disconnect", "reboot", "refuse-boot"',
    ],
    [{ faults: [{ type: 'stall', atOffset: -1 }] }, 'modules[0].faults[0].atOffset: must be >= 0'],
    [{ bufSize: 64 }, 'modules[0].bufSize: must be >= 128'],
    [{ image: 'one' }, 'modules[0].image: must match pattern "^\\d+\\.\\d+(\\.\\d+)?([.+]\\d+)?$"'],
    [{ mode: 'bootloader' }, 'modules[0].mode: must be one of "application", "serial-recovery"'],
    [{ link: { baud: 9600 } }, 'modules[0].link.pty is missing'],
    [{ attributes: { hwVersion: 2 } }, 'modules[0].attributes.hwVersion: must be string'],
    [{ name: 'brake' }, 'modules[1].name: "brake" is used twice'],
  ])('names the key path: %j', (patch, message) => {
    expect(() => parseSimulateConfig(withSmp(patch), 'sim.json')).toThrow(`sim.json: ${message}`);
  });

  it('needs a modules list', () => {
    expect(() => parseSimulateConfig({}, 'sim.json')).toThrow('sim.json: modules is missing');
    expect(() => parseSimulateConfig({ modules: {} }, 'sim.json')).toThrow(
      'sim.json: modules: must be array',
    );
  });
});
