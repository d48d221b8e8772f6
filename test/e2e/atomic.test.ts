/**
 * The atomic system update with real module protocols: simulated modules (`soup-agent simulate`, an SMP
 * display MCU on a pseudo-terminal and a UDS brake ECU over SLCAN on another) as a third process beside
 * server-lite and the agent. Revertible modules (the gateway file, the SMP display) go first; the
 * single-bank UDS ECU only after them. A display whose new image refuses to boot makes the update
 * revert every revertible module, and the ECU is never touched.
 *
 * The tests share server-lite only: each runs as a gateway of its own (target, factory image file,
 * agent state) against its own simulator, releases its own recipe before its agent starts, and so
 * finds every module at its first version whatever ran before it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildDemoImages, type DemoImage } from '../../src/demo/images.js';
import { demoModulesConfig, demoSimulatedModules } from '../../src/demo/system.js';
import { type ActionView, E2e, type Entity, sha256 } from './harness.js';
import { type Proc, startProc } from './processes.js';

async function startSimulator(
  e: E2e,
  faults: unknown[],
  flashWriteBytesPerSec = 0,
  udsFaults: unknown[] = [],
): Promise<Proc> {
  const dev = join(e.dir, `dev-${Date.now()}`);
  (await import('node:fs')).mkdirSync(dev, { recursive: true });
  const config = join(dev, 'simulate.json');
  writeFileSync(
    config,
    JSON.stringify({
      modules: demoSimulatedModules(
        dev,
        { smp: true, uds: true },
        { smpFaults: faults, flashWriteBytesPerSec, udsFaults },
      ),
    }),
  );
  const sim = startProc('simulate', ['simulate', '-c', config], join(e.logs, 'simulate.log'));
  e.processes.push(sim);
  await sim.waitForLine((l) => l.ready === true, 30_000);
  (sim as Proc & { dev?: string }).dev = dev;
  return sim;
}

function modulesConfig(dev: string) {
  return demoModulesConfig(dev, { smp: true, uds: true });
}

async function releaseAll(e: E2e, images: DemoImage[], version: string): Promise<number> {
  const definitions = [];
  for (const img of images) {
    const [sm] = await e.mgmt.post<Entity[]>('softwaremodules', [
      { name: `${img.module}-fw`, version: `${img.version}-${version}`, type: 'firmware', vendor: 'E2E' },
    ]);
    await e.mgmt.upload(`softwaremodules/${sm!.id}/artifacts`, img.path, img.filename);
    const [ds] = await e.mgmt.post<Entity[]>('distributionsets', [
      {
        name: `${img.module}-fw-${version}`,
        version: img.version,
        type: 'firmware',
        modules: [{ id: sm!.id }],
      },
    ]);
    definitions.push({
      name: img.module,
      description: img.description,
      match: img.match,
      count: img.count,
      distributionSetId: ds!.id,
      metadata: { imageType: img.handler },
    });
  }
  const [recipe] = await e.mgmt.post<Entity[]>('recipes', [
    {
      name: 'atomic',
      version,
      description: 'gateway + display + brake',
      modules: definitions,
      systemDistributionSets: [],
      metadata: {},
      tags: [],
    },
  ]);
  return e.releaseExisting(recipe!.id);
}

describe('e2e: atomic system update over SMP and UDS simulators', () => {
  const e = new E2e();

  beforeAll(async () => {
    await e.start();
  }, 60_000);
  afterAll(async () => {
    await e.stop();
  });
  // a test that fails half-way must not leave its agent or simulator running into the next one
  afterEach(async () => {
    for (const p of e.processes) if (p !== e.server) await p.stop();
  });
  let gateways = 0;
  beforeEach(async () => {
    await e.addGateway(`atomic-${++gateways}`);
  });

  /**
   * Releases the demo images as recipe `version`, starts the agent on the simulator, and returns the
   * finished action with the images.
   */
  async function updateWith(
    sim: Proc & { dev: string },
    version: string,
  ): Promise<{ action: ActionView; images: DemoImage[] }> {
    const dir = join(e.dir, `images-${version}`);
    (await import('node:fs')).mkdirSync(dir, { recursive: true });
    const images = await buildDemoImages(dir, { smp: true, uds: true });
    const before = new Set((await e.actions()).map((a) => String(a.id)));
    await releaseAll(e, images, version);
    e.startAgent(e.agentConfig({ ...modulesConfig(sim.dev), local: [] }));
    const action = await e.waitForAction((a) => !before.has(String(a.id)) && a.status !== 'open', 120_000);
    return { action, images };
  }

  const endStates = (a: ActionView) =>
    Object.fromEntries((a.feedback.at(-1)?.modules ?? []).map((m) => [m.module, m.state]));

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

  it('the brake drops off the bus in mid-flash (after the point of no return): the flash goes on from the last acknowledged block, everything commits, nothing reverts', async () => {
    const sim = (await startSimulator(e, [], 0, [
      { type: 'disconnect', atOffset: 16 * 1024, durationMs: 1500 },
    ])) as Proc & { dev: string };
    const { action } = await updateWith(sim, '2.5.0');
    expect(action.result).toBe('success');
    expect(endStates(action)).toEqual({
      [e.cid]: 'committed',
      'SN-5000-1': 'committed',
      'SN-778812': 'committed',
    });
    expect(action.feedback.some((f) => f.phase === 'reverting')).toBe(false);
    // the ECU did drop off: the flash went on from the last acknowledged block
    const resumed = readFileSync(join(e.logs, 'agent.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"msg":"resuming download"') && l.includes('"module":"brake"'));
    expect(resumed.length).toBeGreaterThan(0);
  }, 180_000);

  it('a brake that refuses its flash for good (after the point of no return): the update rolls forward, the revertible modules commit, the brake ends failed', async () => {
    const sim = (await startSimulator(e, [], 0, [
      { type: 'nrc', atOffset: 16 * 1024, nrc: 0x72, count: 1000 },
    ])) as Proc & { dev: string };
    const { action } = await updateWith(sim, '2.6.0');
    expect(action.result).toBe('failure');
    expect(endStates(action)).toEqual({
      [e.cid]: 'committed',
      'SN-5000-1': 'committed',
      'SN-778812': 'failed',
    });
    expect(action.feedback.some((f) => f.phase === 'reverting')).toBe(false);
    const brake = action.feedback.at(-1)?.modules?.find((m) => m.module === 'SN-778812');
    expect(brake?.details?.join(' ')).toMatch(/generalProgrammingFailure|0x72/);
  }, 180_000);
});
