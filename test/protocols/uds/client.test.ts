import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import { MemoryCanBus } from '../../../src/protocols/buses/memory-bus.js';
import { IsoTpChannel } from '../../../src/protocols/isotp/channel.js';
import { UdsClient } from '../../../src/protocols/uds/client.js';
import { knownNrcCodes, nrcName } from '../../../src/protocols/uds/nrc.js';
import { loadKeyFunction, xorKey } from '../../../src/protocols/uds/security.js';

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function setup() {
  const clock = new ManualClock(0);
  const bus = new MemoryCanBus({ clock });
  const client = new UdsClient(new IsoTpChannel(bus.attach(), { txId: 0x7e0, rxId: 0x7e8, clock }), {
    name: 'brake',
    clock,
    p2MarginMs: 100,
  });
  const ecu = new IsoTpChannel(bus.attach(), { txId: 0x7e8, rxId: 0x7e0, clock });
  const requests: number[][] = [];
  ecu.onMessage((m) => requests.push([...m]));
  const answer = (...bytes: number[]) => ecu.send(Uint8Array.from(bytes));
  return { clock, client, requests, answer };
}

describe('UDS client timing', () => {
  it('times out after P2 plus the link margin, naming the service', async () => {
    const { clock, client } = setup();
    const p = client.readDid(0xf189).catch((e: Error) => e);
    await settle();
    clock.advance(149);
    await settle();
    clock.advance(1);
    const err = await p;
    expect(err).toMatchObject({ code: 'SOUP_E_MODULE_TIMEOUT', retryable: true });
    expect((err as Error).message).toBe(
      'ECU brake: no response to ReadDataByIdentifier (0x22) within 150 ms',
    );
  });

  it('extends the wait to P2* on 0x78 response pending', async () => {
    const { clock, client, answer } = setup();
    const p = client.startRoutine(0xff00);
    await settle();
    await answer(0x7f, 0x31, 0x78);
    await settle();
    clock.advance(4000); // far beyond P2, within P2* (5000 + 100)
    await settle();
    await answer(0x7f, 0x31, 0x78);
    await settle();
    clock.advance(5000);
    await settle();
    await answer(0x71, 0x01, 0xff, 0x00, 0x00);
    expect([...(await p)]).toEqual([0x00]);
  });

  it('adopts P2 and P2* from the session response', async () => {
    const { client, answer } = setup();
    const p = client.startSession(0x02);
    await settle();
    await answer(0x50, 0x02, 0x00, 0x19, 0x01, 0xf4);
    expect(await p).toEqual({ p2Ms: 25, p2StarMs: 5000 });
  });

  it('ignores a stray answer to another service and keeps waiting for its own', async () => {
    const { client, answer } = setup();
    const p = client.readDid(0xf18c);
    await settle();
    await answer(0x7e, 0x00);
    await answer(0x62, 0xf1, 0x89, 0x39); // another DID: a late answer to an earlier read
    await answer(0x62, 0xf1, 0x8c, 0x41);
    expect([...(await p)]).toEqual([0x41]);
  });

  it('skips a late TransferData answer for the previous block', async () => {
    const { client, answer } = setup();
    const p = client.transferData(0x08, Uint8Array.of(1, 2, 3));
    await settle();
    await answer(0x76, 0x07);
    await answer(0x76, 0x08);
    await p;
  });

  it('sends TesterPresent with suppressed response when idle', async () => {
    const { clock, client, requests } = setup();
    const stop = client.keepAlive(2000);
    await settle();
    clock.advance(1999);
    await settle();
    expect(requests).toEqual([]);
    clock.advance(1);
    await settle();
    expect(requests).toEqual([[0x3e, 0x80]]);
    stop();
  });

  it('uses level and level + 1 for SecurityAccess and skips the key on a zero seed', async () => {
    const { client, answer, requests } = setup();
    const p = client.unlock(3, xorKey('0xFF'));
    await settle();
    await answer(0x67, 0x03, 0x01, 0x02);
    await settle();
    await answer(0x67, 0x04);
    await p;
    expect(requests).toEqual([
      [0x27, 0x03],
      [0x27, 0x04, 0xfe, 0xfd],
    ]);
    const q = client.unlock(1, xorKey('0xFF'));
    await settle();
    await answer(0x67, 0x01, 0, 0, 0, 0);
    await q;
    expect(requests.length).toBe(3);
    await expect(client.unlock(2, xorKey('0xFF'))).rejects.toThrow(/odd/);
  });
});

describe('NRC names', () => {
  it('names every ISO 14229-1 code and marks the rest reserved or manufacturer specific', () => {
    expect(nrcName(0x35)).toBe('invalidKey');
    expect(nrcName(0x78)).toBe('requestCorrectlyReceivedResponsePending');
    expect(nrcName(0x7f)).toBe('serviceNotSupportedInActiveSession');
    expect(nrcName(0x72)).toBe('generalProgrammingFailure');
    expect(nrcName(0xf3)).toBe('vehicleManufacturerSpecificConditionsNotCorrect(0xF3)');
    expect(nrcName(0x40)).toBe('reservedByExtendedDataLinkSecurityDocument(0x40)');
    expect(nrcName(0x99)).toBe('ISOSAEReserved(0x99)');
    const codes = knownNrcCodes();
    expect(codes.length).toBeGreaterThanOrEqual(58);
    expect(new Set(codes.map(nrcName)).size).toBe(codes.length);
  });
});

describe('key functions', () => {
  it('xor: repeats the mask over the seed', async () => {
    expect([...(await xorKey('0xA5A5A5A5')(Uint8Array.of(1, 2, 3, 4), 1))]).toEqual([0xa4, 0xa7, 0xa6, 0xa1]);
  });

  it('rejects unknown schemes and bad masks with the key path', async () => {
    await expect(loadKeyFunction('rot13:1', 'modules.can[0].ecus[0].security.key')).rejects.toThrow(
      'modules.can[0].ecus[0].security.key: "rot13:1" is neither xor:<mask> nor module:<path>',
    );
    await expect(loadKeyFunction('xor:zz')).rejects.toThrow('security.key: "zz" is not a hex number');
  });

  it('module: loads an ES module exporting key(seed, level)', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'soup-key-'));
    try {
      await writeFile(
        join(dir, 'oem.mjs'),
        'export function key(seed, level) { return seed.map((b) => (b + level) & 0xff); }\n',
      );
      await writeFile(join(dir, 'none.mjs'), 'export const nothing = 1;\n');
      const fn = await loadKeyFunction(`module:${join(dir, 'oem.mjs')}`);
      expect([...(await fn(Uint8Array.of(1, 255), 1))]).toEqual([2, 0]);
      await expect(loadKeyFunction(`module:${join(dir, 'none.mjs')}`)).rejects.toThrow(/does not export key/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
