/**
 * The rig of the atomic system update tests (`atomic-*.test.ts`): server-lite for the file, and per
 * test a gateway of its own (target, factory image file, agent state) against its own simulator
 * (`soup-agent simulate`: an SMP display MCU on a pseudo-terminal and a UDS brake ECU over SLCAN on
 * another). Each test releases its own recipe before its agent starts, so it finds every module at its
 * first version whatever ran before it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { buildDemoImages, type DemoImage } from '../../src/demo/images.js';
import { demoModulesConfig, demoSimulatedModules } from '../../src/demo/system.js';
import { type ActionView, E2e, type Entity } from './harness.js';
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

export interface AtomicRig {
  e: E2e;
  startSimulator: typeof startSimulator;
  modulesConfig: typeof modulesConfig;
  releaseAll: typeof releaseAll;
  updateWith(
    sim: Proc & { dev: string },
    version: string,
  ): Promise<{ action: ActionView; images: DemoImage[] }>;
  endStates(a: ActionView): Record<string, string>;
}

/** Registers the hooks of an atomic update test file (call inside its describe) and returns its rig. */
export function useAtomicRig(): AtomicRig {
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

  return { e, startSimulator, modulesConfig, releaseAll, updateWith, endStates };
}
