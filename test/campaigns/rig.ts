/**
 * The campaigns' rig: the real processes of a gateway system — server-lite, the agent and
 * `soup-agent simulate` (an SMP display MCU on a pseudo-terminal, a UDS brake ECU over SLCAN on another)
 * — built on the end-to-end harness (`test/e2e/harness.ts`) and the demo system (`src/demo/system.ts`).
 *
 * Runs are made fast: small images (a 64 KiB gateway file, 8 KiB display and brake payloads), a fresh
 * simulator per run (its modules start at their factory versions: display 1.0.0, brake 2.0.1), short
 * request timeouts and poll intervals. Each run releases its own recipe with new versions of the three
 * modules and ends in one of:
 *   all-new  every module committed at its new version (the gateway file holds the new bytes);
 *   all-old  the revertible modules reverted, the single-bank brake never touched;
 *   untouched  the update failed before any module was touched (all pending, or no module plan yet);
 *   brake-failed  the revertible modules committed, the brake (past the point of no return) failed;
 *   mixed    anything else (always a failure).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoModulesConfig, demoSimulatedModules } from '../../src/demo/system.js';
import { buildMcubootImage } from '../../src/protocols/smp/mcuboot-image.js';
import { buildSoupImage } from '../../src/simulate/uds/image.js';
import { type ActionView, CID, E2e, type Entity, TOKEN } from '../e2e/harness.js';
import { type Proc, startProc } from '../e2e/processes.js';

export const DISPLAY = 'SN-5000-1';
export const BRAKE = 'SN-778812';
export const FACTORY = { display: '1.0.0', brake: '2.0.1' } as const;

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RunImages {
  /** The recipe's version and the gateway image's. */
  version: string;
  gateway: Buffer;
  display: Uint8Array;
  displayVersion: string;
  brake: Uint8Array;
  brakeVersion: string;
}

export type EndState = 'all-new' | 'all-old' | 'untouched' | 'brake-failed' | 'mixed';

export interface Simulator extends Proc {
  dev: string;
}

export class Rig extends E2e {
  private sims = 0;

  /** Starts `soup-agent simulate` with the demo's display and brake and these faults. */
  async simulator(smpFaults: unknown[] = [], udsFaults: unknown[] = [], flashWriteBytesPerSec = 0) {
    const dev = join(this.dir, `dev-${++this.sims}`);
    mkdirSync(dev, { recursive: true });
    const config = join(dev, 'simulate.json');
    writeFileSync(
      config,
      JSON.stringify({
        modules: demoSimulatedModules(
          dev,
          { smp: true, uds: true },
          { smpFaults, udsFaults, flashWriteBytesPerSec },
        ),
      }),
    );
    const sim = startProc('simulate', ['simulate', '-c', config], join(this.logs, 'simulate.log'));
    this.processes.push(sim);
    await sim.waitForLine((l) => l.ready === true, 30_000);
    return Object.assign(sim, { dev }) as Simulator;
  }

  /** An agent configuration for the simulator at `dev`, talking to `url` (a proxy, or server-lite). */
  campaignAgentConfig(dev: string, url = this.url): string {
    const path = join(this.dir, 'agent', `campaign-${++this.sims}.json`);
    const modules = demoModulesConfig(dev, { smp: true, uds: true });
    writeFileSync(
      path,
      JSON.stringify({
        server: {
          url,
          tenant: 'DEFAULT',
          controllerId: CID,
          auth: { targetToken: TOKEN },
          requestTimeoutMs: 2000,
        },
        dataDir: join(this.dir, 'agent', 'data'),
        trust: { keys: this.trustFile },
        modules: {
          ...modules,
          local: [
            {
              name: 'gateway',
              gateway: true,
              type: 'gateway',
              attributes: { 'module-id': 'gw', swVersion: '1.0.0' },
              handler: 'rawfile',
              target: this.target,
            },
          ],
        },
        consent: 'whenAsked',
        polling: { defaultSleepMs: 500, errorBaseMs: 100, errorCapMs: 1000 },
        // update.retryDelayMs stays at its default (2 s): a module's outage of a second or two must
        // not use up every attempt of a step
      }),
    );
    return path;
  }

  /** New images for run `run`: versions no earlier run used. */
  images(run: number): RunImages {
    const version = `3.${run}.0`;
    const displayVersion = `1.${run + 1}.0`;
    const brakeVersion = `2.${run + 2}.0`;
    return {
      version,
      gateway: Buffer.concat([Buffer.from(`gateway rootfs ${version}\n`), randomBytes(64 * 1024)]),
      display: buildMcubootImage({ version: displayVersion, payload: randomBytes(8 * 1024) }),
      displayVersion,
      brake: buildSoupImage({ version: brakeVersion, payload: randomBytes(8 * 1024) }),
      brakeVersion,
    };
  }

  /** Uploads the images and releases them as one recipe (gateway, display, brake); returns its id. */
  async releaseImages(images: RunImages): Promise<number> {
    const dir = join(this.dir, `images-${images.version}`);
    mkdirSync(dir, { recursive: true });
    const parts = [
      {
        name: 'gateway',
        version: images.version,
        bytes: images.gateway,
        handler: 'rawfile',
        match: 'attributes.module-id==gw',
      },
      {
        name: 'display',
        version: images.displayVersion,
        bytes: images.display,
        handler: 'smp-image',
        match: 'attributes.module-id==5000',
      },
      {
        name: 'brake',
        version: images.brakeVersion,
        bytes: images.brake,
        handler: 'uds-flash',
        match: 'attributes.module-id==4711 and attributes.hwVersion=in=(1.7,1.8,2.5)',
      },
    ];
    const modules = [];
    for (const p of parts) {
      const file = join(dir, `${p.name}.bin`);
      writeFileSync(file, p.bytes);
      const [sm] = await this.mgmt.post<Entity[]>('softwaremodules', [
        {
          name: `${p.name}-fw`,
          version: `${p.version}-${images.version}`,
          type: 'firmware',
          vendor: 'campaign',
        },
      ]);
      await this.mgmt.upload(`softwaremodules/${sm!.id}/artifacts`, file, `${p.name}-${p.version}.bin`);
      const [ds] = await this.mgmt.post<Entity[]>('distributionsets', [
        {
          name: `${p.name}-fw-${images.version}`,
          version: p.version,
          type: 'firmware',
          modules: [{ id: sm!.id }],
        },
      ]);
      modules.push({
        name: p.name,
        description: p.name,
        match: p.match,
        count: p.name === 'brake' ? 'count=ge=1' : 'count==1',
        distributionSetId: ds!.id,
        metadata: { imageType: p.handler },
      });
    }
    const [recipe] = await this.mgmt.post<Entity[]>('recipes', [
      {
        name: 'campaign',
        version: images.version,
        description: 'gateway + display + brake',
        modules,
        systemDistributionSets: [],
        metadata: {},
        tags: [],
      },
    ]);
    return this.releaseExisting(recipe!.id);
  }

  /** Ids of the actions so far (to tell a run's new action from earlier ones). */
  async actionIds(): Promise<Set<string>> {
    return new Set((await this.actions()).map((a) => String(a.id)));
  }

  /** The run's action once it exists (any feedback), or undefined at the deadline. */
  async newAction(before: Set<string>, timeoutMs: number): Promise<ActionView | undefined> {
    try {
      return await this.waitForAction((a) => !before.has(String(a.id)), timeoutMs);
    } catch {
      return undefined;
    }
  }

  async closed(id: string | number, timeoutMs: number): Promise<ActionView | undefined> {
    try {
      return await this.waitForAction((a) => String(a.id) === String(id) && a.status !== 'open', timeoutMs);
    } catch {
      return undefined;
    }
  }

  /** Versions of the display and the brake in the gateway's latest system report. */
  async reportedVersions(): Promise<{ display?: string; brake?: string }> {
    const system = await this.mgmt.get<{
      lastReport?: { modules: { name: string; attributes: Record<string, string> }[] };
    }>(`systems/${CID}`);
    const version = (name: string) =>
      system.lastReport?.modules.find((m) => m.name === name)?.attributes.swVersion;
    return { display: version('display'), brake: version('brake') };
  }

  gatewayBytes(): Buffer {
    return readFileSync(this.target);
  }

  async stopAgent(): Promise<void> {
    await this.agent?.stop();
  }
}

/** The module end states of the update's last systemUpdate feedback. */
export function endStates(a: ActionView): Record<string, string> {
  const update = a.feedback.filter((f) => f.channel === undefined || f.channel === 'systemUpdate');
  return Object.fromEntries((update.at(-1)?.modules ?? []).map((m) => [m.module, m.state]));
}

/** `gateway=committed display=reverted brake=pending`, for failure notes. */
export function describeStates(a: ActionView): string {
  const s = endStates(a);
  return `gateway=${s[CID]} display=${s[DISPLAY]} brake=${s[BRAKE]}`;
}

export function classify(a: ActionView): EndState {
  const s = endStates(a);
  const gw = s[CID];
  const display = s[DISPLAY];
  const brake = s[BRAKE];
  if (gw === 'committed' && display === 'committed' && brake === 'committed') return 'all-new';
  if (gw === 'reverted' && display === 'reverted' && brake === 'pending') return 'all-old';
  if (Object.values(s).every((state) => state === 'pending') && a.result !== 'success') return 'untouched';
  if (gw === 'committed' && display === 'committed' && brake === 'failed') return 'brake-failed';
  return 'mixed';
}

/** Each feedbackId once (the agent's retries and restarts must not duplicate a report). */
export function duplicateFeedbackIds(a: ActionView): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const f of a.feedback) {
    const id = String(f.feedbackId);
    if (seen.has(id)) dup.push(id);
    seen.add(id);
  }
  return dup;
}

/** The reason text of a failed update: the status details and each module's details. */
export function reasons(a: ActionView): string {
  const last = a.feedback.filter((f) => f.channel === undefined || f.channel === 'systemUpdate').at(-1);
  return [
    ...(last?.status?.details ?? []),
    ...(last?.modules ?? []).flatMap((m) => (m.details ?? []).map((d) => `${m.module}: ${d}`)),
  ].join('; ');
}

/** The versions the system report must name in an end state (the brake's is open when it failed). */
export function expectedVersions(state: EndState, images: RunImages): { display: string; brake?: string } {
  if (state === 'all-new') return { display: images.displayVersion, brake: images.brakeVersion };
  if (state === 'all-old' || state === 'untouched') return { display: FACTORY.display, brake: FACTORY.brake };
  return { display: images.displayVersion };
}

/**
 * Checks what the gateway and the modules hold after a run against its end state: the gateway file has
 * exactly the new or the old bytes, and the system report (sent after the update) names the new or the
 * factory versions. Returns a cause, or null when consistent.
 */
export async function checkInstalled(
  rig: Rig,
  state: EndState,
  images: RunImages,
  gatewayBefore: string,
  expected: { display: string; brake?: string },
): Promise<string | null> {
  const gw = sha256(rig.gatewayBytes());
  const wantGw = state === 'all-old' || state === 'untouched' ? gatewayBefore : sha256(images.gateway);
  if (gw !== wantGw) {
    const which = gw === gatewayBefore ? 'old' : gw === sha256(images.gateway) ? 'new' : 'unknown';
    return `gateway file holds ${which} bytes in an ${state} end state`;
  }
  const deadline = Date.now() + 30_000;
  let seen: { display?: string; brake?: string } = {};
  while (Date.now() < deadline) {
    seen = await rig.reportedVersions();
    if (seen.display === expected.display && (expected.brake === undefined || seen.brake === expected.brake))
      return null;
    await sleep(250);
  }
  return `system report says display ${seen.display}, brake ${seen.brake}; expected ${expected.display}, ${expected.brake ?? 'any'}`;
}
