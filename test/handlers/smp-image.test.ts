/** The smp-image handler against the simulated module over real pseudo-terminals. */
import { afterEach, describe, expect, it } from 'vitest';
import { createSmpImageHandler } from '../../src/handlers/smp-image.js';
import { systemClock } from '../../src/lib/clock.js';
import { activeSlot, SmpClient } from '../../src/protocols/smp/client.js';
import { makeCtx, makeJob, withRetries } from '../protocols/smp/handler-harness.js';
import { type SimFixture, startFixture, writeImage } from '../protocols/smp/helpers.js';

const handler = createSmpImageHandler({ bootTimeoutMs: 10_000 });

async function state(fx: SimFixture) {
  const client = new SmpClient(await fx.links.serial(fx.module.path, 921600), { clock: systemClock });
  try {
    return await client.imageState();
  } finally {
    client.dispose();
  }
}

describe('smp-image handler over a real pty', () => {
  let fx: SimFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('uploads, tests, resets, verifies and confirms; the new image stays after another reset', async () => {
    fx = await startFixture({ bufSize: 1024, image: '1.0.0' });
    const path = await writeImage(fx.dir, '2.0.0', 40 * 1024);
    const job = await makeJob(path, fx.module.path, '2.0.0');
    const ctx = makeCtx(fx.links);
    expect(handler.revertible(job)).toBe(true);
    await handler.prepare(job, ctx);
    await handler.transfer(job, ctx);
    expect(ctx.progressSeen.at(-1)).toBe(job.image.size);
    expect((await state(fx)).find((s) => s.slot === 1)).toMatchObject({ version: '2.0.0', pending: false });
    await handler.activate(job, ctx);
    expect(activeSlot(await state(fx))).toMatchObject({ version: '2.0.0', confirmed: false });
    await handler.verify(job, ctx);
    await handler.commit(job, ctx);
    expect(activeSlot(await state(fx))).toMatchObject({ version: '2.0.0', confirmed: true });
    // repeating steps after a crash is harmless
    await handler.transfer(job, ctx);
    await handler.activate(job, ctx);
    await handler.commit(job, ctx);
    const client = new SmpClient(await fx.links.serial(fx.module.path, 921600), { clock: systemClock });
    const boots = fx.module.device.stats.boots;
    await client.reset();
    // back once it answers again: echo until it does (requests sent while it boots are lost)
    await client.echo('back?', { timeoutMs: 100, retries: 20 });
    client.dispose();
    expect(fx.module.device.stats.boots).toBe(boots + 1);
    expect(activeSlot(await state(fx))).toMatchObject({ version: '2.0.0', confirmed: true });
    expect(fx.module.device.stats.uploadStarts).toBe(1);
  });

  it('reverts a tested image: MCUboot swaps back and the old version runs', async () => {
    fx = await startFixture({ bufSize: 1024, image: '1.0.0' });
    const job = await makeJob(await writeImage(fx.dir, '2.0.0', 16 * 1024), fx.module.path, '2.0.0');
    const ctx = makeCtx(fx.links);
    await handler.prepare(job, ctx);
    await handler.transfer(job, ctx);
    await handler.activate(job, ctx);
    await handler.verify(job, ctx);
    await handler.revert(job, ctx);
    const slots = await state(fx);
    expect(activeSlot(slots)).toMatchObject({ version: '1.0.0', confirmed: true });
    await expect(handler.verify(job, ctx)).rejects.toThrow(
      'display: runs 1.0.0 after the test boot, expected 2.0.0 (the new image did not boot; MCUboot went back to the old one)',
    );
  });

  it('cancels a test that was marked but never booted', async () => {
    fx = await startFixture({ bufSize: 1024, image: '1.0.0' });
    const job = await makeJob(await writeImage(fx.dir, '2.0.0', 16 * 1024), fx.module.path, '2.0.0');
    const ctx = makeCtx(fx.links);
    await handler.prepare(job, ctx);
    await handler.transfer(job, ctx);
    const client = new SmpClient(await fx.links.serial(fx.module.path, 921600), { clock: systemClock });
    const slot1 = (await client.imageState()).find((s) => s.slot === 1);
    await client.imageStateWrite(slot1?.hash, false);
    client.dispose();
    await handler.revert(job, ctx);
    const slots = await state(fx);
    expect(slots.map((s) => s.version)).toEqual(['1.0.0']);
  });

  it('resumes after a disconnect at the offset the module acknowledged, not from 0', async () => {
    fx = await startFixture({
      bufSize: 1024,
      image: '1.0.0',
      faults: [{ type: 'disconnect', atOffset: 23_456, durationMs: 300 }],
    });
    const job = await makeJob(await writeImage(fx.dir, '2.1.0', 48 * 1024), fx.module.path, '2.1.0');
    const ctx = makeCtx(fx.links);
    await handler.prepare(job, ctx);
    const errors = await withRetries(
      () => handler.transfer(job, ctx),
      () => fx!.module.linkUp(),
    );
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ code: 'SOUP_E_IO', retryable: true });
    expect(fx.module.counters.disconnects).toBe(1);
    expect(fx.module.device.stats.uploadStarts).toBe(1);
    expect(fx.module.device.stats.uploadBytesWritten).toBe(job.image.size);
    // the retry went on from where the module was: progress never fell back to the start
    const afterFault = ctx.progressSeen.slice(ctx.progressSeen.findIndex((o) => o >= 23_456));
    expect(Math.min(...afterFault)).toBeGreaterThanOrEqual(23_456 - 1024);
    expect(ctx.saved.length).toBeGreaterThan(1);
    await handler.activate(job, ctx);
    await handler.verify(job, ctx);
  });

  it('a refused boot fails verify with the reason, and revert leaves the old image running', async () => {
    fx = await startFixture({ bufSize: 1024, image: '1.0.0', faults: [{ type: 'refuse-boot' }] });
    const job = await makeJob(await writeImage(fx.dir, '2.0.0', 16 * 1024), fx.module.path, '2.0.0');
    const ctx = makeCtx(fx.links);
    await handler.prepare(job, ctx);
    await handler.transfer(job, ctx);
    await handler.activate(job, ctx);
    await expect(handler.verify(job, ctx)).rejects.toMatchObject({
      code: 'SOUP_E_MODULE_VERIFY',
      message:
        'display: runs 1.0.0 after the test boot, expected 2.0.0 (the new image did not boot; MCUboot went back to the old one)',
    });
    expect(fx.module.device.stats.refusedBoots).toBe(1);
    await handler.revert(job, ctx);
    expect(activeSlot(await state(fx))).toMatchObject({ version: '1.0.0', confirmed: true });
  });

  it('updates a module in MCUboot serial recovery: straight to the primary slot, not revertible', async () => {
    fx = await startFixture({ bufSize: 1024, image: '1.0.0', mode: 'serial-recovery' });
    const job = await makeJob(await writeImage(fx.dir, '3.0.0', 24 * 1024), fx.module.path, '3.0.0', {
      attributes: { smpMode: 'serial-recovery' },
    });
    const ctx = makeCtx(fx.links);
    expect(handler.revertible(job)).toBe(false);
    await handler.prepare(job, ctx);
    await handler.transfer(job, ctx);
    await handler.activate(job, ctx);
    await handler.verify(job, ctx);
    await handler.commit(job, ctx);
    expect(await state(fx)).toEqual([{ image: 0, slot: 0, version: '3.0.0', hash: expect.any(Uint8Array) }]);
    await expect(handler.revert(job, ctx)).rejects.toThrow(
      'display: MCUboot serial recovery keeps one image and cannot revert',
    );
  });

  it('serial recovery resumes after a disconnect from the checkpoint, without erasing again', async () => {
    fx = await startFixture({
      bufSize: 1024,
      mode: 'serial-recovery',
      faults: [{ type: 'disconnect', atOffset: 30_000, durationMs: 300 }],
    });
    const job = await makeJob(await writeImage(fx.dir, '3.1.0', 40 * 1024), fx.module.path, '3.1.0', {
      attributes: { smpMode: 'serial-recovery' },
    });
    const ctx = makeCtx(fx.links);
    await handler.prepare(job, ctx);
    const errors = await withRetries(
      () => handler.transfer(job, ctx),
      () => fx!.module.linkUp(),
    );
    expect(errors[0]).toMatchObject({ code: 'SOUP_E_IO' });
    // an upload at offset 0 erases the primary slot: it happened once
    expect(fx.module.device.stats.uploadStarts).toBe(1);
    expect(fx.module.device.stats.uploadBytesWritten).toBe(job.image.size);
    await handler.activate(job, ctx);
    await handler.verify(job, ctx);
  });

  it('refuses an image whose header version is not the recipe version, and a non-MCUboot file', async () => {
    fx = await startFixture({ image: '1.0.0' });
    const job = await makeJob(await writeImage(fx.dir, '2.0.0', 4096), fx.module.path, '2.0.1');
    await expect(handler.prepare(job, makeCtx(fx.links))).rejects.toThrow(
      'app-2.0.0.bin: MCUboot header says version 2.0.0, the recipe says 2.0.1',
    );
  });
});
