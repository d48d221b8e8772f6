/** Every injected fault of the simulated module, over a real pty: retried, or one clear failure line. */
import { afterEach, describe, expect, it } from 'vitest';
import { createSmpImageHandler } from '../../../src/handlers/smp-image.js';
import type { SmpFault } from '../../../src/simulate/smp/faults.js';
import { makeCtx, makeJob, withRetries } from './handler-harness.js';
import { type SimFixture, startFixture, writeImage } from './helpers.js';

const handler = createSmpImageHandler({ bootTimeoutMs: 10_000 });
const IMAGE = 24 * 1024;

async function update(fx: SimFixture, version = '2.0.0') {
  const job = await makeJob(await writeImage(fx.dir, version, IMAGE), fx.module.path, version);
  const ctx = makeCtx(fx.links);
  await handler.prepare(job, ctx);
  const errors = await withRetries(
    () => handler.transfer(job, ctx),
    () => fx.module.linkUp(),
  );
  await handler.activate(job, ctx);
  await handler.verify(job, ctx);
  await handler.commit(job, ctx);
  return { job, ctx, errors };
}

describe('fault injection over a real pty', () => {
  let fx: SimFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  const retried: [string, SmpFault][] = [
    ['drop-frame (requests lost twice in a row)', { type: 'drop-frame', atOffset: 8000, count: 2 }],
    ['corrupt-frame (answers with a bad CRC)', { type: 'corrupt-frame', atRequest: 6, count: 2 }],
    ['stall (module busy longer than one timeout)', { type: 'stall', atOffset: 4000, durationMs: 500 }],
    ['reboot in the middle of the upload', { type: 'reboot', atOffset: 12_000, durationMs: 100 }],
  ];

  it.each(retried)('%s: retried, the update completes', async (_name, fault) => {
    fx = await startFixture({ bufSize: 1024, faults: [fault] });
    const { errors } = await update(fx);
    expect(fx.module.counters.faults[fault.type]).toBe(fault.count ?? 1);
    expect(fx.module.device.slots[0]?.info.version).toBe('2.0.0');
    expect(fx.module.device.primaryConfirmed).toBe(true);
    if (fault.type === 'reboot') {
      // RAM upload state is gone after a reboot: the module itself asks for offset 0 again
      expect(fx.module.device.stats.uploadStarts).toBe(2);
    } else {
      expect(errors).toEqual([]);
      expect(fx.module.device.stats.uploadStarts).toBe(1);
    }
  });

  it('a module that stays silent fails the transfer with one line naming the request', async () => {
    fx = await startFixture({ bufSize: 1024, faults: [{ type: 'drop-frame', atOffset: 8000, count: 50 }] });
    const job = await makeJob(await writeImage(fx.dir, '2.0.0', IMAGE), fx.module.path, '2.0.0');
    const ctx = makeCtx(fx.links);
    await handler.prepare(job, ctx);
    const err = await handler.transfer(job, ctx).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'SOUP_E_MODULE_TIMEOUT', retryable: true });
    expect((err as Error).message).toMatch(
      /^display: no answer to image upload at offset \d+ after 4 attempts of \d+ ms$/,
    );
  });

  it('a module error fails with the module reason (image too large for the slot)', async () => {
    fx = await startFixture({ bufSize: 1024, slotSize: 16 * 1024 });
    const job = await makeJob(await writeImage(fx.dir, '2.0.0', IMAGE), fx.module.path, '2.0.0');
    const ctx = makeCtx(fx.links);
    await handler.prepare(job, ctx);
    await expect(handler.transfer(job, ctx)).rejects.toMatchObject({
      code: 'SOUP_E_MODULE_RC',
      retryable: false,
      message: 'display: image upload at offset 0 refused: rc 30 in group 1 (INVALID_IMAGE_TOO_LARGE)',
    });
  });

  // requests: prepare 2, transfer 2 + 7 upload chunks + 1, activate 3 (state, test, reset): the 16th is the
  // first echo the module answers after its reset; the link goes away for durationMs there
  it.each([
    {
      durationMs: 300,
      title: 'a disconnect during activation is survived: echo waits for the link to come back',
    },
    {
      durationMs: 1800,
      title: 'a link that stays away for several echo intervals after the reset: reopened once it is back',
    },
  ])('$title', async ({ durationMs }) => {
    fx = await startFixture({
      bufSize: 4096,
      faults: [{ type: 'disconnect', atRequest: 16, durationMs }],
    });
    const { job, ctx } = await update(fx);
    expect(fx.module.counters.disconnects).toBe(1);
    expect(fx.module.device.stats.boots).toBe(1);
    await handler.verify(job, ctx);
  });
});
