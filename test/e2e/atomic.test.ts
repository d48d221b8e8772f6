/**
 * The atomic system update with real module protocols, before the point of no return: revertible
 * modules (the gateway file, the SMP display) go first; a display whose new image refuses to boot, or
 * a recipe revoked while the display is written, makes the update revert every revertible module, and
 * the single-bank UDS ECU is never touched. Rig: `atomic-rig.ts`.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDemoImages } from '../../src/demo/images.js';
import { useAtomicRig } from './atomic-rig.js';
import { type ActionView, sha256 } from './harness.js';
import type { Proc } from './processes.js';

describe('e2e: atomic system update over SMP and UDS simulators (revertible part)', () => {
  const { e, startSimulator, modulesConfig, releaseAll, updateWith, endStates } = useAtomicRig();

  it('a display that refuses to boot its new image: every revertible module reverts, the ECU is never touched', async () => {
    const sim = (await startSimulator(e, [{ type: 'refuse-boot', count: 10 }])) as Proc & { dev: string };
    const { action } = await updateWith(sim, '2.1.0');
    expect(action.result).toBe('failure');
    expect(endStates(action)).toEqual({
      [e.cid]: 'reverted',
      'SN-5000-1': 'reverted',
      'SN-778812': 'pending',
    });
    expect(action.feedback.some((f) => f.phase === 'reverting')).toBe(true);
    expect(e.installed().toString()).toBe('factory image');
    const system = await e.mgmt.get<{
      lastReport: { modules: { name: string; attributes: Record<string, string> }[] };
    }>(`systems/${e.cid}`);
    const version = (name: string) =>
      system.lastReport.modules.find((m) => m.name === name)?.attributes.swVersion;
    expect(version('display')).toBe('1.0.0');
    expect(version('brake')).toBe('2.0.1');
  }, 180_000);

  it('all modules healthy: gateway and display first, the ECU after them, all committed at their new versions', async () => {
    const sim = (await startSimulator(e, [])) as Proc & { dev: string };
    const { action, images } = await updateWith(sim, '2.2.0');
    expect(action.result).toBe('success');
    expect(endStates(action)).toEqual({
      [e.cid]: 'committed',
      'SN-5000-1': 'committed',
      'SN-778812': 'committed',
    });
    // the ECU (point of no return) is transferred only after every revertible module was verified
    const phases = action.feedback.map(
      (f) => `${f.phase}:${(f.modules ?? []).find((m) => m.module === 'SN-778812')?.state}`,
    );
    const firstEcuWork = phases.findIndex((p) => /:(transferring|transferred|activated|verified)$/.test(p));
    const revertibleVerified = action.feedback.findIndex((f) =>
      (f.modules ?? []).filter((m) => m.module !== 'SN-778812').every((m) => m.state === 'verified'),
    );
    expect(revertibleVerified).toBeGreaterThanOrEqual(0);
    expect(firstEcuWork === -1 || firstEcuWork >= revertibleVerified).toBe(true);
    expect(sha256(e.installed())).toBe(images.find((i) => i.module === 'gateway')!.sha256);
  }, 180_000);

  it('SIGKILL of the agent while the SMP display is being written: the restart resumes and commits everything', async () => {
    const sim = (await startSimulator(e, [], 16 * 1024)) as Proc & { dev: string };
    (await import('node:fs')).mkdirSync(join(e.dir, 'images3'), { recursive: true });
    const images = await buildDemoImages(join(e.dir, 'images3'), { smp: true, uds: true });
    const before = new Set((await e.actions()).map((a) => String(a.id)));
    await releaseAll(e, images, '2.3.0');
    const config = e.agentConfig({ ...modulesConfig(sim.dev), local: [] });
    const agent = e.startAgent(config);
    const open = await e.waitForAction(
      (a) => !before.has(String(a.id)) && a.feedback.some((f) => f.phase === 'transferring'),
      120_000,
    );
    await agent.kill();
    e.startAgent(config);
    const done = await e.waitForAction(
      (a) => String(a.id) === String(open.id) && a.status !== 'open',
      120_000,
    );
    expect(done.result).toBe('success');
    expect(endStates(done)).toEqual({
      [e.cid]: 'committed',
      'SN-5000-1': 'committed',
      'SN-778812': 'committed',
    });
    const ids = done.feedback.map((f) => f.feedbackId);
    expect(new Set(ids).size).toBe(ids.length);
  }, 240_000);

  it('recipe revoked while the SMP display is being written: the transfer stops, every revertible module reverts, the cancel is confirmed, the ECU is never touched', async () => {
    const sim = (await startSimulator(e, [], 8 * 1024)) as Proc & { dev: string };
    (await import('node:fs')).mkdirSync(join(e.dir, 'images4'), { recursive: true });
    const images = await buildDemoImages(join(e.dir, 'images4'), { smp: true, uds: true });
    const gatewayBefore = sha256(e.installed());
    const before = new Set((await e.actions()).map((a) => String(a.id)));
    const recipe = await releaseAll(e, images, '2.4.0');
    const config = e.agentConfig({ ...modulesConfig(sim.dev), local: [] });
    e.startAgent(config);
    // the gateway file takes milliseconds, the display's 48 KiB about 6 s at 8 KiB/s of flash writes
    const transferring = (a: ActionView) => a.feedback.some((f) => f.phase === 'transferring');
    const open = await e.waitForAction((a) => !before.has(String(a.id)) && transferring(a), 120_000);
    await e.mgmt.post(`recipes/${recipe}/revoke`);
    const done = await e.waitForAction(
      (a) => String(a.id) === String(open.id) && a.status !== 'open',
      120_000,
    );
    expect(done.status).toBe('canceled');
    // the agent confirms on DDI's cancel channel, after the update's last feedback named each end state
    expect(done.feedback.at(-1)).toMatchObject({
      channel: 'cancel',
      status: { execution: 'closed', result: { finished: 'success' } },
    });
    const update = done.feedback.filter((f) => f.channel === 'systemUpdate');
    // the cancel came while the display was being written: its transfer was interrupted
    const reverting = update.find((f) => f.phase === 'reverting');
    expect(reverting?.modules?.find((m) => m.module === 'SN-5000-1')?.state).toBe('transferring');
    expect(Object.fromEntries((update.at(-1)?.modules ?? []).map((m) => [m.module, m.state]))).toEqual({
      [e.cid]: 'reverted',
      'SN-5000-1': 'reverted',
      'SN-778812': 'pending',
    });
    expect(sha256(e.installed())).toBe(gatewayBefore);
    const ids = done.feedback.map((f) => f.feedbackId);
    expect(new Set(ids).size).toBe(ids.length);
    // the display still runs its old image, confirmed: the next system report says so
    const deadline = Date.now() + 30_000;
    let version: string | undefined;
    for (;;) {
      const system = await e.mgmt.get<{
        lastReport: { modules: { name: string; attributes: Record<string, string> }[] };
      }>(`systems/${e.cid}`);
      version = system.lastReport.modules.find((m) => m.name === 'display')?.attributes.swVersion;
      if (version === '1.0.0' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(version).toBe('1.0.0');
  }, 240_000);
});
