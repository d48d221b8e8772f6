import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/lib/clock.js';
import { isSoupError } from '../../../src/lib/errors.js';
import { didText } from '../../../src/protocols/uds/connect.js';
import { type ImageReader, programEcu, waitForVersion } from '../../../src/protocols/uds/programming.js';
import { xorKey } from '../../../src/protocols/uds/security.js';
import { buildSoupImage, simulatedMemoryBus } from '../../../src/simulate/uds/index.js';
import { log, type Rig, startRig } from './harness.js';

function imageOf(version: string, size: number): Buffer {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 131 + 17) & 0xff;
  return buildSoupImage({ version, payload });
}

function reader(buf: Buffer): ImageReader {
  return { size: buf.length, read: async (offset, length) => buf.subarray(offset, offset + length) };
}

const target = {
  address: 0x08000000n,
  addressLength: 4,
  sizeLength: 4,
  eraseRoutine: 0xff00,
  checkRoutine: 0xff01,
  security: { level: 1, key: xorKey('0xA5A5A5A5') },
};

describe.each(['memory', 'slcan'] as const)('UDS programming over %s', (link) => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('reads identity and flashes a full image, then the ECU runs it', async () => {
    rig = await startRig({ link });
    const { client } = rig.conn;
    expect(didText(await client.readDid(0xf189))).toBe('1.0.0');
    expect(didText(await client.readDid(0xf18c))).toBe('SN-778812');
    const image = imageOf('2.0.1', 20_000);
    const acks: number[] = [];
    await programEcu(client, reader(image), target, {
      startAt: 0,
      acknowledged: (n) => acks.push(n),
      clock: systemClock,
      log,
    });
    expect(acks.at(-1)).toBe(image.length);
    await client.ecuReset();
    await waitForVersion(client, '2.0.1', { clock: systemClock, intervalMs: 50 }, didText);
    expect(rig.sim[0]!.ecu.runningVersion).toBe('2.0.1');
    expect(rig.sim[0]!.ecu.stats.downloads).toEqual([0]);
  });
});

describe('UDS programming details (memory bus)', () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('wraps the TransferData block counter 0xFF → 0x00 (300 blocks)', async () => {
    rig = await startRig({ link: 'memory', extra: { maxBlockLength: 18 } });
    const image = imageOf('3.0.0', 300 * 16 - 64);
    const counters: number[] = [];
    const { client } = rig.conn;
    const transfer = client.transferData.bind(client);
    client.transferData = (counter, data, signal) => {
      counters.push(counter);
      return transfer(counter, data, signal);
    };
    await programEcu(client, reader(image), target, {
      startAt: 0,
      acknowledged: () => {},
      clock: systemClock,
      log,
    });
    expect(counters.length).toBe(300);
    expect(counters.slice(0, 2)).toEqual([1, 2]);
    expect(counters.slice(254, 258)).toEqual([255, 0, 1, 2]);
    expect(rig.sim[0]!.ecu.stats.bytesWritten).toBe(image.length);
  });

  it('flashes over CAN FD frames with 29-bit ids', async () => {
    rig = await startRig({
      link: 'memory',
      extra: { fd: true, extendedIds: true, txId: '0x18DAF110', rxId: '0x18DA10F1', maxBlockLength: 4095 },
      ecu: { fd: true, extendedIds: true, txId: '0x18DA10F1', rxId: '0x18DAF110' },
    });
    let fdFrames = 0;
    simulatedMemoryBus(rig.busPath.slice('memory:'.length))
      .attach()
      .onFrame(
        (f) => f.fd && f.extended && f.data.length === 64,
        () => fdFrames++,
      );
    const image = imageOf('2.1.0', 9000);
    await programEcu(rig.conn.client, reader(image), target, {
      startAt: 0,
      acknowledged: () => {},
      clock: systemClock,
      log,
    });
    await rig.conn.client.ecuReset();
    await waitForVersion(rig.conn.client, '2.1.0', { clock: systemClock, intervalMs: 50 }, didText);
    // 9064 bytes in 63-byte consecutive frames: well over 100 full 64-byte FD frames
    expect(fdFrames).toBeGreaterThan(140);
  });
});

describe('UDS client errors', () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('names invalidKey for a wrong security key', async () => {
    rig = await startRig({ link: 'memory' });
    const err = await programEcu(
      rig.conn.client,
      reader(imageOf('2.0.1', 100)),
      { ...target, security: { level: 1, key: xorKey('0x11111111') } },
      { startAt: 0, acknowledged: () => {}, clock: systemClock, log },
    ).catch((e: unknown) => e);
    expect(isSoupError(err, 'SOUP_E_MODULE_NRC')).toBe(true);
    expect((err as Error).message).toBe('ECU brake: SecurityAccess (0x27) refused: invalidKey (0x35)');
  });
});
