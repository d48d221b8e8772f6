/**
 * Benchmark rig (not a benchmark itself): whole updates as on a gateway. server-lite and `soup-agent run`
 * run as separate processes of the built CLI; one image is uploaded, a recipe for a gateway with one
 * `dummy` module is built, signed (`soup-agent keygen`/`sign`), released and approved through the
 * Management API. Each `update()` registers a new gateway and starts a fresh agent for it (its own data
 * folder), which reports, gets the action, downloads the image, hands it to the `dummy` handler (which
 * re-reads and hashes it) and closes the action.
 *
 * The agent runs with the node options of the systemd unit (`agentEnvironment`). What it reads back: the agent process's peak resident set (`VmHWM` of /proc/PID/status, read before
 * it is stopped) and the download phase as server-lite recorded it (`receivedAt` of the first
 * `downloading` feedback to that of `downloaded`).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManagementClient } from '../src/demo/management-client.js';
import { CLI_PATH, type ManagedProcess, startCli } from '../src/demo/processes.js';
import { agentEnvironment, makeArtifact } from './_bench-util.js';

const KID = 'bench-oem';
const TOKEN = 'bench-target-token';

interface Entity {
  id: number;
}

interface Feedback {
  receivedAt: number;
  status?: { execution?: string; details?: string[] };
}

interface ActionView {
  id: number;
  status: string;
  result: string | null;
  feedback: Feedback[];
}

export interface UpdateFigures {
  /** Peak resident set of the agent process over its life (VmHWM), KiB. */
  peakKiB: number;
  /** First `downloading` feedback → `downloaded`, as server-lite received them, ms. */
  downloadMs: number;
}

export interface UpdateOptions {
  /** Extra environment of the agent process (default NODE_OPTIONS: the systemd unit's). */
  env?: NodeJS.ProcessEnv;
  /** Called with the agent's pid once it is started. */
  onStart?: (pid: number) => void;
}

export interface UpdateRig {
  /** Where server-lite serves the image to `controllerId` (DDI), and the header it needs. */
  artifactUrl: string;
  authorization: string;
  /** SHA-256 of the image. */
  sha256: string;
  /** One whole update on a new gateway; throws unless the action closes with success. */
  update(options?: UpdateOptions): Promise<UpdateFigures>;
  stop(): Promise<void>;
}

function runCli(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI_PATH, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`soup-agent ${args[0]} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

export async function vmHwmKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
}

/** Peak resident set of a bare `node` that starts and waits a moment (the baseline), KiB. */
export function bareNodeHwmKiB(): number {
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      "setTimeout(() => process.stdout.write(require('fs').readFileSync('/proc/self/status','utf8').match(/VmHWM:\\s+(\\d+)/)[1]), 1000)",
    ],
    { encoding: 'utf8' },
  );
  return Number(r.stdout);
}

export async function startUpdateRig(dir: string, imageSize: number): Promise<UpdateRig> {
  for (const d of ['server', 'keys', 'logs', 'agents']) await mkdir(join(dir, d), { recursive: true });
  const password = randomBytes(12).toString('hex');
  const serverConfig = join(dir, 'server', 'config.json');
  await writeFile(
    serverConfig,
    JSON.stringify({
      port: 0,
      host: '127.0.0.1',
      dataDir: join(dir, 'server', 'data'),
      tenant: 'DEFAULT',
      users: [{ name: 'bench', password, roles: ['ADMIN'] }],
      pollingSleep: '00:00:01',
      rateLimit: { getPerMinute: 100_000, writePerMinute: 100_000 },
    }),
  );
  const server = startCli('server-lite', ['server-lite', '-c', serverConfig], {
    logFile: join(dir, 'logs', 'server-lite.log'),
  });
  try {
    const { url } = await server.waitForLine<{ ready?: boolean; url: string }>(
      (l) => l.ready === true,
      30_000,
    );
    const mgmt = new ManagementClient(url, 'bench', password);
    await mgmt.put('tenant/configs/soup.systemreport.version.property.names', {
      value: ['hwVersion', 'swVersion'],
    });

    const image = join(dir, 'image.bin');
    const sha256 = await makeArtifact(image, imageSize);
    const [sm] = await mgmt.post<Entity[]>('softwaremodules', [
      { name: 'app-fw', version: '2.0.0', type: 'firmware', vendor: 'bench' },
    ]);
    await mgmt.upload(`softwaremodules/${sm!.id}/artifacts`, image, 'image.bin');
    const [ds] = await mgmt.post<Entity[]>('distributionsets', [
      { name: 'app-fw', version: '2.0.0', type: 'firmware', modules: [{ id: sm!.id }] },
    ]);
    const [recipe] = await mgmt.post<Entity[]>('recipes', [
      {
        name: 'bench-fleet',
        version: '2.0.0',
        description: 'benchmark recipe',
        modules: [
          {
            name: 'gateway',
            description: 'the gateway itself',
            match: 'attributes.module-id==gw',
            count: 'count==1',
            distributionSetId: ds!.id,
            metadata: { imageType: 'dummy' },
          },
        ],
        systemDistributionSets: [],
        metadata: {},
        tags: [],
      },
    ]);
    const id = recipe!.id;
    const validated = await mgmt.post<{ validity: string }>(`recipes/${id}/validate`);
    if (validated.validity !== 'VALID') throw new Error(`recipe ${id} is ${validated.validity}`);
    await mgmt.post(`recipes/${id}/promote`);
    const recipeFile = join(dir, 'keys', 'recipe.json');
    await writeFile(recipeFile, await mgmt.bytes(`recipes/${id}/file`));
    runCli(['keygen', '--kid', KID, '--out', join(dir, 'keys')]);
    const jws = runCli([
      'sign',
      '--key',
      join(dir, 'keys', `${KID}.private.jwk.json`),
      '--kid',
      KID,
      recipeFile,
    ]).trim();
    await mgmt.post(`recipes/${id}/signatures`, { format: 'jws', value: jws });
    await mgmt.post(`recipes/${id}/release`);
    await mgmt.post(`recipes/${id}/approve`);

    // a gateway of its own for `curl`: the set assigned to it directly (DDI), so it may fetch the image
    await mgmt.post('targets', [{ controllerId: 'bench-curl', name: 'curl', securityToken: TOKEN }]);
    await mgmt.post(`distributionsets/${ds!.id}/assignedTargets`, [{ id: 'bench-curl' }]);
    const artifactUrl = `${url}/DEFAULT/controller/v1/bench-curl/softwaremodules/${sm!.id}/artifacts/image.bin`;

    let n = 0;
    const update = async (options: UpdateOptions = {}): Promise<UpdateFigures> => {
      const controllerId = `bench-gw-${++n}`;
      await mgmt.post('targets', [{ controllerId, name: controllerId, securityToken: TOKEN }]);
      const agentDir = join(dir, 'agents', controllerId);
      await mkdir(agentDir, { recursive: true });
      const config = join(agentDir, 'config.json');
      await writeFile(
        config,
        JSON.stringify({
          server: { url, tenant: 'DEFAULT', controllerId, auth: { targetToken: TOKEN } },
          dataDir: join(agentDir, 'data'),
          trust: { keys: join(dir, 'keys', `${KID}.jwks.json`) },
          modules: {
            local: [
              {
                name: 'gateway',
                gateway: true,
                type: 'gateway',
                attributes: { 'module-id': 'gw', swVersion: '1.0.0' },
                handler: 'dummy',
              },
            ],
          },
          consent: 'never',
          polling: { defaultSleepMs: 1000 },
        }),
      );
      const agent: ManagedProcess = startCli('agent', ['run', '-c', config], {
        logFile: join(dir, 'logs', `${controllerId}.log`),
        env: { ...agentEnvironment(), ...options.env },
      });
      options.onStart?.(agent.child.pid!);
      try {
        const action = await waitForClosed(mgmt, controllerId, agent, 600_000);
        const peakKiB = await vmHwmKiB(agent.child.pid!);
        if (action.result !== 'success') {
          throw new Error(`${controllerId}: action ${action.id} ended ${action.status}/${action.result}`);
        }
        const first = action.feedback.find((f) => f.status?.details?.[0]?.startsWith('downloading'));
        const done = action.feedback.find((f) => f.status?.execution === 'downloaded');
        if (first === undefined || done === undefined) {
          throw new Error(`${controllerId}: no downloading/downloaded feedback in action ${action.id}`);
        }
        return { peakKiB, downloadMs: done.receivedAt - first.receivedAt };
      } finally {
        await agent.stop();
      }
    };

    return {
      artifactUrl,
      authorization: `TargetToken ${TOKEN}`,
      sha256,
      update,
      stop: async () => {
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

async function waitForClosed(
  mgmt: ManagementClient,
  controllerId: string,
  agent: ManagedProcess,
  timeoutMs: number,
): Promise<ActionView> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (agent.child.exitCode !== null) throw new Error(`the agent of ${controllerId} exited`);
    const actions = await mgmt.get<{ content: ActionView[] }>(`systems/${controllerId}/actions`);
    const closed = actions.content.find((a) => a.status !== 'open');
    if (closed !== undefined) return closed;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${controllerId}: no closed action within ${timeoutMs / 1000} s`);
}
