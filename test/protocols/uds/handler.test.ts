/** The uds-flash handler and the UDS probe against the simulated ECU over a real SLCAN pseudo-terminal. */
import { afterEach, describe, expect, it } from 'vitest';
import { createUdsFlashHandler } from '../../../src/handlers/uds-flash.js';
import { createUdsProbe } from '../../../src/inventory/probes/uds.js';
import { silentLogger } from '../../../src/lib/log.js';
import { type HandlerRig, startHandlerRig } from './handler-rig.js';

describe('uds-flash handler over SLCAN on a pty', () => {
  let rig: HandlerRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('probes identity with ReadDataByIdentifier', async () => {
    rig = await startHandlerRig();
    const probe = createUdsProbe(rig.bus, rig.ecu);
    const result = await probe.probe({
      log: silentLogger(),
      signal: new AbortController().signal,
      links: rig.links,
    });
    expect(result).toEqual({
      serialNumber: 'SN-778812',
      attributes: { partNumber: '1337', serialNumber: 'SN-778812', swVersion: '2.0.0', hwVersion: '1.7' },
    });
    expect(probe.name).toBe('brake');
    // a DID the ECU refuses (requestOutOfRange) is left out, the others still read
    const partial = createUdsProbe(rig.bus, { ...rig.ecu, dids: { F1A0: 'calibration', F189: 'swVersion' } });
    expect(
      await partial.probe({ log: silentLogger(), signal: new AbortController().signal, links: rig.links }),
    ).toEqual({ attributes: { swVersion: '2.0.0' } });
  });

  it('runs a full update: prepare, transfer, activate, verify', async () => {
    rig = await startHandlerRig();
    const handler = createUdsFlashHandler();
    const job = await rig.job('2.0.1', 12_000);
    const ctx = rig.ctx();
    expect(handler.type).toBe('uds-flash');
    expect(handler.revertible(job)).toBe(false);
    await handler.prepare(job, ctx);
    await handler.transfer(job, ctx);
    expect(rig.progress.at(-1)).toEqual([job.image.size, job.image.size]);
    await handler.activate(job, ctx);
    await handler.verify(job, ctx);
    await handler.commit(job, ctx);
    expect(rig.sim.ecu.runningVersion).toBe('2.0.1');
    expect(rig.sim.ecu.stats.erases).toBe(1);
    await expect(handler.revert(job, ctx)).rejects.toThrow(/one flash bank/);
  });

  it('resumes from its checkpoint after the transfer was interrupted (agent restart)', async () => {
    rig = await startHandlerRig();
    const handler = createUdsFlashHandler();
    const job = await rig.job('2.0.2', 12_000);
    const ac = new AbortController();
    const ctx = rig.ctx(ac.signal);
    const progress = ctx.progress;
    ctx.progress = (cnt, of) => {
      progress(cnt, of);
      if (cnt >= 5000) ac.abort(new Error('shutdown'));
    };
    await expect(handler.transfer(job, ctx)).rejects.toMatchObject({ code: 'SOUP_E_CANCELLED' });
    const saved = rig.checkpoint.get('cp') as { acknowledged: number };
    expect(saved.acknowledged).toBeGreaterThanOrEqual(5000);
    expect(saved.acknowledged).toBeLessThan(job.image.size);
    await handler.transfer(job, rig.ctx());
    expect(rig.sim.ecu.stats.downloads).toEqual([0, saved.acknowledged]);
    expect(rig.sim.ecu.stats.erases).toBe(1);
    await handler.activate(job, rig.ctx());
    await handler.verify(job, rig.ctx());
    expect(rig.sim.ecu.runningVersion).toBe('2.0.2');
  });

  it('starts over when the checkpoint belongs to another image', async () => {
    rig = await startHandlerRig();
    const handler = createUdsFlashHandler();
    const job = await rig.job('2.0.3', 3000);
    rig.checkpoint.set('cp', { sha256: 'f'.repeat(64), acknowledged: 2048 });
    await handler.transfer(job, rig.ctx());
    expect(rig.sim.ecu.stats.downloads).toEqual([0]);
  });

  it('fails prepare with one line naming the key path when the key module is missing', async () => {
    rig = await startHandlerRig({ ecu: { security: { level: 1, key: 'module:/nonexistent/key.mjs' } } });
    const handler = createUdsFlashHandler();
    const job = await rig.job('2.0.4', 100);
    await expect(handler.prepare(job, rig.ctx())).rejects.toThrow(
      /^modules\.can\[\]\.ecus\[brake\]\.security\.key: cannot load \/nonexistent\/key\.mjs/,
    );
  });
});
