/**
 * End-to-end harness: server-lite and the agent as separate processes (`node dist/src/cli/main.js …`),
 * real keys (`soup-agent keygen`/`sign`), a recipe built and released through the Management API as a
 * pipeline would, and what server-lite records read back through that API.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagementClient } from '../../src/demo/management-client.js';
import { unitNodeOptions } from '../helpers/unit-node-options.js';
import { CLI, type Proc, startProc } from './processes.js';

export const CID = 'gw-e2e-0001';
export const TOKEN = 'e2e-target-token-7c1f';
const ADMIN = { name: 'admin', password: 'e2e-admin-password' };

export interface Entity {
  id: number;
}

export interface ActionView {
  id: string | number;
  kind: string;
  status: string;
  result: string | null;
  feedback: {
    feedbackId?: string;
    /** `systemUpdate`, `deployment`, `cancel`, … */
    channel?: string;
    /** The agent's own timestamp of the feedback (UTC ms): when it entered the step. */
    timestamp?: number;
    phase?: string;
    status?: { execution?: string; details?: string[]; result?: { finished?: string } };
    modules?: { module: string; state: string; details?: string[] }[];
  }[];
}

export function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export class E2e {
  readonly dir = mkdtempSync(join(tmpdir(), 'soup-e2e-'));
  readonly logs = join(this.dir, 'logs');
  /** The gateway the next agent runs as: its controller id, token, image file and state (see `addGateway`). */
  cid = CID;
  token = TOKEN;
  target = join(this.dir, 'gateway', 'rootfs.img');
  agentData = join(this.dir, 'agent', 'data');
  readonly processes: Proc[] = [];
  server!: Proc;
  agent: Proc | undefined;
  mgmt!: ManagementClient;
  url = '';
  private n = 0;

  async start(): Promise<void> {
    for (const d of [
      this.logs,
      join(this.dir, 'gateway'),
      join(this.dir, 'keys'),
      join(this.dir, 'server'),
      join(this.dir, 'agent'),
    ]) {
      mkdirSync(d, { recursive: true });
    }
    writeFileSync(this.target, 'factory image');
    const serverConfig = join(this.dir, 'server', 'config.json');
    writeFileSync(
      serverConfig,
      JSON.stringify({
        port: 0,
        host: '127.0.0.1',
        dataDir: join(this.dir, 'server', 'data'),
        tenant: 'DEFAULT',
        users: [{ ...ADMIN, roles: ['ADMIN'] }],
        pollingSleep: '00:00:01',
      }),
    );
    this.server = startProc(
      'server-lite',
      ['server-lite', '-c', serverConfig],
      join(this.logs, 'server-lite.log'),
    );
    this.processes.push(this.server);
    const { url } = await this.server.waitForLine<{ ready?: boolean; url: string }>(
      (l) => l.ready === true,
      30_000,
    );
    this.url = url;
    this.mgmt = new ManagementClient(url, ADMIN.name, ADMIN.password);
    await this.mgmt.post('targets', [{ controllerId: CID, name: 'E2E gateway', securityToken: TOKEN }]);
    await this.mgmt.put('tenant/configs/soup.systemreport.version.property.names', {
      value: ['hwVersion', 'swVersion'],
    });
    this.keygen('oem-e2e', 'trusted');
    this.keygen('oem-e2e', 'rogue');
  }

  /**
   * A new gateway on the same server: its own target (controller id, token), a factory image file and
   * an empty agent state. Agents started from here on run as it, and `actions()`, `installed()`… see it.
   */
  async addGateway(name: string): Promise<void> {
    const home = join(this.dir, name);
    mkdirSync(home, { recursive: true });
    this.cid = `gw-e2e-${name}`;
    this.token = `e2e-token-${name}-${randomBytes(4).toString('hex')}`;
    this.target = join(home, 'rootfs.img');
    this.agentData = join(home, 'agent-data');
    writeFileSync(this.target, 'factory image');
    await this.mgmt.post('targets', [
      { controllerId: this.cid, name: `E2E gateway ${name}`, securityToken: this.token },
    ]);
  }

  keygen(kid: string, dir: string): void {
    const out = join(this.dir, 'keys', dir);
    const r = cli(['keygen', '--kid', kid, '--out', out]);
    if (r.status !== 0) throw new Error(`keygen failed: ${r.stderr}`);
  }

  get trustFile(): string {
    return join(this.dir, 'keys', 'trusted', 'oem-e2e.jwks.json');
  }

  agentConfig(
    extra: { local?: unknown[]; consent?: string; ddi?: unknown; serial?: unknown[]; can?: unknown[] } = {},
  ): string {
    const path = join(this.dir, 'agent', `config-${++this.n}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        server: {
          url: this.url,
          tenant: 'DEFAULT',
          controllerId: this.cid,
          auth: { targetToken: this.token },
        },
        dataDir: this.agentData,
        trust: { keys: this.trustFile },
        modules: {
          ...(extra.serial === undefined ? {} : { serial: extra.serial }),
          ...(extra.can === undefined ? {} : { can: extra.can }),
          local: [
            {
              name: 'gateway',
              gateway: true,
              type: 'gateway',
              attributes: { 'module-id': 'gw', swVersion: '1.0.0' },
              handler: 'rawfile',
              target: this.target,
            },
            ...(extra.local ?? []),
          ],
        },
        consent: extra.consent ?? 'whenAsked',
        ...(extra.ddi === undefined ? {} : { ddi: extra.ddi }),
        polling: { defaultSleepMs: 1000, errorBaseMs: 200, errorCapMs: 2000 },
        update: { retryDelayMs: 200 },
      }),
    );
    return path;
  }

  startAgent(config: string): Proc {
    const agent = startProc('agent', ['run', '-c', config], join(this.logs, 'agent.log'), {
      SOUP_LOG_LEVEL: 'debug',
      NODE_OPTIONS: unitNodeOptions(),
    });
    this.processes.push(agent);
    this.agent = agent;
    return agent;
  }

  /** Uploads an image as a software module + distribution set; returns the set id. */
  async imageSet(
    name: string,
    version: string,
    bytes: Buffer,
    type = 'firmware',
    setType = 'firmware',
  ): Promise<number> {
    const file = join(this.dir, `${name}-${version}.bin`);
    writeFileSync(file, bytes);
    const [sm] = await this.mgmt.post<Entity[]>('softwaremodules', [{ name, version, type, vendor: 'E2E' }]);
    await this.mgmt.upload(`softwaremodules/${sm!.id}/artifacts`, file, `${name}-${version}.bin`);
    const [ds] = await this.mgmt.post<Entity[]>('distributionsets', [
      { name, version, type: setType, modules: [{ id: sm!.id }] },
    ]);
    return ds!.id;
  }

  /** Creates, validates, promotes, signs (with `keys/<signer>`), releases and approves a recipe. */
  async release(options: {
    version: string;
    image: Buffer;
    imageType?: string;
    match?: string;
    scriptSet?: number;
    signer?: 'trusted' | 'rogue';
    /** false: stop in WAITING_FOR_APPROVAL (no action yet); `approve(id)` releases it later. */
    approve?: boolean;
  }): Promise<number> {
    const set = await this.imageSet('gateway-fw', options.version, options.image);
    const [recipe] = await this.mgmt.post<Entity[]>('recipes', [
      {
        name: 'e2e-fleet',
        version: options.version,
        description: 'end-to-end recipe',
        modules: [
          {
            name: 'gateway',
            description: 'the gateway itself',
            match: options.match ?? 'attributes.module-id==gw',
            count: 'count==1',
            distributionSetId: set,
            metadata: { imageType: options.imageType ?? 'rawfile' },
          },
        ],
        systemDistributionSets: options.scriptSet === undefined ? [] : [options.scriptSet],
        metadata: {},
        tags: [],
      },
    ]);
    return this.releaseExisting(recipe!.id, options.signer, options.approve);
  }

  /** Validates, promotes, signs, releases and (unless told not to) approves an existing DRAFT recipe. */
  async releaseExisting(
    id: number,
    signer: 'trusted' | 'rogue' = 'trusted',
    approve = true,
  ): Promise<number> {
    const validated = await this.mgmt.post<{ validity: string; validationResult?: unknown }>(
      `recipes/${id}/validate`,
    );
    if (validated.validity !== 'VALID')
      throw new Error(`recipe ${id}: ${JSON.stringify(validated.validationResult)}`);
    await this.mgmt.post(`recipes/${id}/promote`);
    const file = join(this.dir, `recipe-${id}.json`);
    writeFileSync(file, await this.mgmt.bytes(`recipes/${id}/file`));
    const signed = cli([
      'sign',
      '--key',
      join(this.dir, 'keys', signer, 'oem-e2e.private.jwk.json'),
      '--kid',
      'oem-e2e',
      file,
    ]);
    if (signed.status !== 0) throw new Error(`sign failed: ${signed.stderr}`);
    await this.mgmt.post(`recipes/${id}/signatures`, { format: 'jws', value: signed.stdout.trim() });
    await this.mgmt.post(`recipes/${id}/release`);
    if (approve) await this.approve(id);
    return id;
  }

  /** Approves a released recipe: from here server-lite offers it to the gateways it matches. */
  async approve(id: number): Promise<void> {
    await this.mgmt.post(`recipes/${id}/approve`);
  }

  async actions(): Promise<ActionView[]> {
    return (await this.mgmt.get<{ content: ActionView[] }>(`systems/${this.cid}/actions?limit=100`)).content;
  }

  /** Waits for an action (other than those in `seen`) to satisfy `predicate`. */
  async waitForAction(predicate: (a: ActionView) => boolean, timeoutMs = 60_000): Promise<ActionView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.actions()).find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > deadline)
        throw new Error(`no action satisfied the condition within ${timeoutMs} ms (logs: ${this.logs})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Waits until server-lite holds a system report of the gateway (the agent is up and has reported). */
  async waitForReport(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const system = await this.mgmt.get<{ lastReport: unknown }>(`systems/${this.cid}`);
      if (system.lastReport !== null && system.lastReport !== undefined) return;
      if (Date.now() > deadline)
        throw new Error(`no system report within ${timeoutMs} ms (logs: ${this.logs})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Waits until the gateway has polled server-lite `n` more times (its `lastPollAt` moved on `n` times):
   * the event that proves the agent's loop had its chances to act, for checks that nothing happened.
   */
  async waitForPolls(n: number, timeoutMs = 60_000): Promise<void> {
    const lastPoll = async () =>
      (await this.mgmt.get<{ lastPollAt: number | null }>(`systems/${this.cid}`)).lastPollAt;
    const deadline = Date.now() + timeoutMs;
    let seen = await lastPoll();
    for (let moved = 0; moved < n; ) {
      if (Date.now() > deadline)
        throw new Error(`${n} polls not seen within ${timeoutMs} ms (logs: ${this.logs})`);
      await new Promise((r) => setTimeout(r, 100));
      const now = await lastPoll();
      if (now !== seen) {
        moved++;
        seen = now;
      }
    }
  }

  status(config: string): Record<string, unknown> {
    const r = cli(['status', '--json', '-c', config]);
    if (r.status !== 0) throw new Error(`status failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }

  installed(): Buffer {
    return readFileSync(this.target);
  }

  async stop(): Promise<void> {
    for (const p of this.processes.reverse()) await p.stop();
  }
}

export function image(version: string, size = 256 * 1024): Buffer {
  return Buffer.concat([Buffer.from(`gateway rootfs ${version}\n`), randomBytes(size)]);
}
