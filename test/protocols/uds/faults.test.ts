/**
 * Every injected fault of the simulated ECU, over a real SLCAN pseudo-terminal, through the uds-flash
 * handler: retried to success, or a clear failure naming the NRC.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HandlerJob } from '../../../src/handlers/types.js';
import { createUdsFlashHandler } from '../../../src/handlers/uds-flash.js';
import { type HandlerRig, startHandlerRig } from './handler-rig.js';

const handler = createUdsFlashHandler({ verifyTimeoutMs: 3000 });

async function update(rig: HandlerRig, job: HandlerJob): Promise<void> {
  const ctx = rig.ctx();
  await handler.prepare(job, ctx);
  await handler.transfer(job, ctx);
  await handler.activate(job, ctx);
  await handler.verify(job, ctx);
}

describe('UDS faults over SLCAN on a pty', () => {
  let rig: HandlerRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it.each([
    ['drop-frame', { type: 'drop-frame', atOffset: 3000, count: 2 }],
    ['corrupt-frame', { type: 'corrupt-frame', atOffset: 3000 }],
    ['stall', { type: 'stall', atOffset: 3000, durationMs: 800 }],
    ['busyRepeatRequest NRC', { type: 'nrc', atOffset: 5000, nrc: 0x21 }],
  ])('recovers from %s and completes the update', async (type, fault) => {
    rig = await startHandlerRig({ faults: [fault] });
    const job = await rig.job('2.0.1', 10_000);
    await update(rig, job);
    expect(rig.sim.ecu.faults.fired[fault.type]).toBe(fault.type === 'drop-frame' ? 2 : 1);
    expect(rig.sim.ecu.runningVersion).toBe('2.0.1');
    expect(rig.sim.ecu.stats.erases, type).toBe(1);
  });

  it.each([4321, 9999])('resumes after a disconnect at offset %i without erasing again', async (offset) => {
    rig = await startHandlerRig({ faults: [{ type: 'disconnect', atOffset: offset, durationMs: 400 }] });
    const job = await rig.job('2.0.1', 12_000);
    await update(rig, job);
    const { downloads, erases, resets } = rig.sim.ecu.stats;
    expect(downloads.length).toBe(2);
    expect(downloads[0]).toBe(0);
    // resumed at the acknowledged bytes: the last whole block before the fault
    expect(downloads[1]).toBeGreaterThan(offset - 1024);
    expect(downloads[1]).toBeLessThanOrEqual(offset);
    expect(erases).toBe(1);
    expect(resets).toBeGreaterThanOrEqual(2);
    expect(rig.sim.ecu.runningVersion).toBe('2.0.1');
  });

  it('resumes after a reboot in the middle of the transfer', async () => {
    rig = await startHandlerRig({ faults: [{ type: 'reboot', atOffset: 7000 }] });
    const job = await rig.job('2.0.1', 12_000);
    await update(rig, job);
    expect(rig.sim.ecu.stats.downloads.length).toBe(2);
    expect(rig.sim.ecu.stats.downloads[1]).toBeGreaterThan(0);
    expect(rig.sim.ecu.runningVersion).toBe('2.0.1');
  });

  it('erases and starts over when the ECU refuses to resume', async () => {
    rig = await startHandlerRig();
    const job = await rig.job('2.0.1', 6000);
    // a checkpoint from a run this ECU knows nothing of: RequestDownload at +4096 is refused (0x70)
    rig.checkpoint.set('cp', { sha256: job.image.sha256, acknowledged: 4096 });
    await update(rig, job);
    expect(rig.sim.ecu.stats.downloads).toEqual([0]);
    expect(rig.sim.ecu.stats.erases).toBe(1);
  });

  it('waits through 0x78 response pending (long erase, pending download)', async () => {
    rig = await startHandlerRig({
      sim: { eraseMs: 900 },
      faults: [{ type: 'nrc', atOffset: 2000, nrc: 0x78, durationMs: 700 }],
    });
    const job = await rig.job('2.0.1', 5000);
    await update(rig, job);
    expect(rig.sim.ecu.faults.fired.nrc).toBe(1);
    expect(rig.sim.ecu.runningVersion).toBe('2.0.1');
  });

  it('fails the step naming the NRC for a negative response', async () => {
    rig = await startHandlerRig({ faults: [{ type: 'nrc', atOffset: 2000, nrc: 0x72 }] });
    const job = await rig.job('2.0.1', 5000);
    const err = await handler.transfer(job, rig.ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SOUP_E_MODULE_NRC', retryable: false });
    expect((err as Error).message).toBe(
      'ECU brake: TransferData (0x36) refused: generalProgrammingFailure (0x72)',
    );
  });

  it('names invalidKey when the security key is wrong', async () => {
    rig = await startHandlerRig({ ecu: { security: { level: 1, key: 'xor:0x12345678' } } });
    const job = await rig.job('2.0.1', 500);
    const err = await handler.transfer(job, rig.ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SOUP_E_MODULE_NRC', detail: { nrc: 0x35, nrcName: 'invalidKey' } });
    expect((err as Error).message).toBe('ECU brake: SecurityAccess (0x27) refused: invalidKey (0x35)');
  });

  it('fails verify naming the running version when the ECU refuses to boot the image', async () => {
    rig = await startHandlerRig({ faults: [{ type: 'refuse-boot', count: 5 }] });
    const job = await rig.job('2.0.1', 3000);
    const ctx = rig.ctx();
    await handler.transfer(job, ctx);
    await handler.activate(job, ctx);
    const err = await handler.verify(job, ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SOUP_E_MODULE_VERSION' });
    expect((err as Error).message).toBe('ECU brake reports 2.0.0, expected version 2.0.1');
  });
});
