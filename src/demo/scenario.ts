/**
 * The demo (`soup-agent demo`) and the end-to-end tests run this one scenario: server-lite, simulated
 * modules and the agent as separate processes in a work directory, a recipe built, signed and released
 * through the Management API exactly as a pipeline would, and one full system update, verified at the end.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SoupError } from '../lib/errors.js';
import { buildDemoImages, type DemoImage } from './images.js';
import { ManagementClient } from './management-client.js';
import { CLI_PATH, type ManagedProcess, startCli } from './processes.js';
import { demoModulesConfig, demoSimulatedModules } from './system.js';

export interface DemoOptions {
  workDir: string;
  /** Prints one line for a person. */
  print: (line: string) => void;
  /** Which simulated modules join the gateway (the gateway itself is always updated). */
  modules: { smp: boolean; uds: boolean };
  /** Upper bound for the whole update, from release to closed action. */
  timeoutMs: number;
}

export interface DemoResult {
  ok: boolean;
  actionId: string | undefined;
  checks: { what: string; ok: boolean; detail: string }[];
}

const TENANT = 'DEFAULT';
const CONTROLLER_ID = 'gw-demo-0001';
const TARGET_TOKEN = 'demo-target-token-1f6c2a';
const ADMIN = { name: 'admin', password: 'demo-admin-password' };
const KID = 'demo-oem-2026';

interface Entity {
  id: number;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { workDir, print } = options;
  const dirs = {
    server: join(workDir, 'server-lite'),
    agent: join(workDir, 'agent'),
    keys: join(workDir, 'keys'),
    images: join(workDir, 'images'),
    dev: join(workDir, 'dev'),
    gateway: join(workDir, 'gateway'),
    logs: join(workDir, 'logs'),
  };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });
  const processes: ManagedProcess[] = [];
  try {
    const step = stepper(print);

    step('Building the update images');
    const images = await buildDemoImages(dirs.images, options.modules);
    for (const img of images)
      print(`    ${img.filename}: ${img.size} bytes, version ${img.version}, for ${img.module}`);

    if (options.modules.smp || options.modules.uds) {
      step('Starting the simulated modules');
      const simulate = startCli(
        'simulate',
        ['simulate', '-c', await writeSimulateConfig(dirs, options.modules)],
        {
          logFile: join(dirs.logs, 'simulate.log'),
        },
      );
      processes.push(simulate);
      await simulate.waitForLine((l) => l.ready === true, 20_000);
      for (const l of simulate.lines.filter((l) => typeof l.name === 'string')) {
        print(`    ${l.name}: ${l.protocol} on ${l.path}`);
      }
    }

    step('Starting server-lite (Management + Install API, SQLite)');
    const serverConfig = join(dirs.server, 'config.json');
    await writeJson(serverConfig, {
      port: 0,
      host: '127.0.0.1',
      dataDir: join(dirs.server, 'data'),
      tenant: TENANT,
      users: [{ name: ADMIN.name, password: ADMIN.password, roles: ['ADMIN'] }],
      pollingSleep: '00:00:01',
    });
    const server = startCli('server-lite', ['server-lite', '-c', serverConfig], {
      logFile: join(dirs.logs, 'server-lite.log'),
    });
    processes.push(server);
    const { url } = await server.waitForLine<{ ready?: boolean; url: string }>(
      (l) => l.ready === true,
      20_000,
    );
    print(`    listening on ${url}`);
    const mgmt = new ManagementClient(url, ADMIN.name, ADMIN.password);

    step('Registering the gateway as a target');
    await mgmt.post('targets', [
      { controllerId: CONTROLLER_ID, name: 'Demo gateway', securityToken: TARGET_TOKEN },
    ]);
    await mgmt.put('tenant/configs/soup.systemreport.version.property.names', {
      value: ['hwVersion', 'swVersion'],
    });
    print(`    ${CONTROLLER_ID}; version properties hwVersion, swVersion compare in natural order`);

    step('Uploading software: modules, artifacts (hashed by the server), distribution sets');
    const definitions = [];
    for (const img of images) {
      const [sm] = await mgmt.post<Entity[]>('softwaremodules', [
        { name: `${img.module}-fw`, version: img.version, type: 'firmware', vendor: 'Demo OEM' },
      ]);
      const artifact = await mgmt.upload<{ hashes: { sha256: string }; size: number }>(
        `softwaremodules/${sm!.id}/artifacts`,
        img.path,
        img.filename,
      );
      if (artifact.hashes.sha256 !== img.sha256) {
        throw new SoupError('SOUP_E_DEMO', `server-lite hashed ${img.filename} as ${artifact.hashes.sha256}`);
      }
      const [ds] = await mgmt.post<Entity[]>('distributionsets', [
        { name: `${img.module}-fw`, version: img.version, type: 'firmware', modules: [{ id: sm!.id }] },
      ]);
      print(
        `    ${img.module}: software module ${sm!.id}, artifact sha256 ${img.sha256.slice(0, 16)}…, set ${ds!.id}`,
      );
      definitions.push({
        name: img.module,
        description: img.description,
        match: img.match,
        count: img.count,
        distributionSetId: ds!.id,
        metadata: { imageType: img.handler },
      });
    }

    step('Creating the recipe and validating it');
    const [created] = await mgmt.post<(Entity & { validity: string })[]>('recipes', [
      {
        name: 'demo-fleet',
        version: '2.1.0',
        description: 'Demo system update: gateway, display MCU and brake ECU together',
        modules: definitions,
        systemDistributionSets: [],
        metadata: {},
        tags: ['demo'],
      },
    ]);
    const recipeId = created!.id;
    const validated = await mgmt.post<{ validity: string; validationResult?: unknown[] }>(
      `recipes/${recipeId}/validate`,
    );
    if (validated.validity !== 'VALID') {
      throw new SoupError(
        'SOUP_E_DEMO',
        `recipe ${recipeId} is ${validated.validity}: ${JSON.stringify(validated.validationResult)}`,
      );
    }
    print(`    recipe ${recipeId} is VALID`);

    step('Promoting: the recipe file is generated and frozen; signing it with a new key');
    await mgmt.post(`recipes/${recipeId}/promote`);
    const recipeFile = join(dirs.keys, `recipe-${recipeId}.json`);
    await writeFile(recipeFile, await mgmt.bytes(`recipes/${recipeId}/file`));
    runCli(['keygen', '--kid', KID, '--out', dirs.keys]);
    const jws = runCli([
      'sign',
      '--key',
      join(dirs.keys, `${KID}.private.jwk.json`),
      '--kid',
      KID,
      recipeFile,
    ]).trim();
    await mgmt.post(`recipes/${recipeId}/signatures`, { format: 'jws', value: jws });
    print(`    detached JWS (${KID}) uploaded: RELEASE_CANDIDATE`);

    step('Releasing and approving the recipe');
    await mgmt.post(`recipes/${recipeId}/release`);
    const approved = await mgmt.post<{ lifecycle: string }>(`recipes/${recipeId}/approve`);
    print(`    recipe ${recipeId} is ${approved.lifecycle}`);

    step('Starting soup-agent on the gateway');
    const agentConfig = await writeAgentConfig(dirs, url, options.modules);
    const agent = startCli('agent', ['run', '-c', agentConfig], { logFile: join(dirs.logs, 'agent.log') });
    processes.push(agent);

    step('Waiting for the system update to finish (feedback as server-lite records it)');
    const action = await followAction(mgmt, print, options.timeoutMs);

    step('Checking the result');
    const checks = await verify(mgmt, dirs, images, agentConfig, recipeId, action);
    for (const c of checks) print(`    ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.detail}`);
    return { ok: checks.every((c) => c.ok), actionId: action.id, checks };
  } finally {
    for (const p of processes.reverse()) await p.stop();
  }
}

function stepper(print: (line: string) => void): (what: string) => void {
  let n = 0;
  return (what) => print(`[${++n}] ${what}`);
}

function runCli(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI_PATH, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new SoupError('SOUP_E_DEMO', `soup-agent ${args[0]} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

async function writeJson(path: string, value: unknown): Promise<string> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
  return path;
}

interface ActionView {
  id: string | number;
  status: string;
  result: string | null;
  feedback: { feedbackId?: string; phase?: string; status?: { execution?: string; details?: string[] } }[];
}

async function followAction(
  mgmt: ManagementClient,
  print: (line: string) => void,
  timeoutMs: number,
): Promise<{ id: string; status: string; result: string | null }> {
  const deadline = Date.now() + timeoutMs;
  let printed = 0;
  let explained = '';
  while (Date.now() < deadline) {
    const actions = await mgmt.get<{ content: ActionView[] }>(`systems/${CONTROLLER_ID}/actions`);
    const action = actions.content.find((a) => a.status !== 'canceled');
    if (!action) {
      // say why nothing happens yet: no report, or a report the recipe does not match
      const why = await whyNoAction(mgmt);
      if (why !== explained) print(`    waiting: ${why}`);
      explained = why;
    }
    if (action) {
      for (const fb of action.feedback.slice(printed)) {
        const details = fb.status?.details?.join('; ') ?? '';
        print(
          `    ${fb.status?.execution ?? '?'}${fb.phase ? ` (${fb.phase})` : ''}${details ? `: ${details}` : ''}`,
        );
      }
      printed = action.feedback.length;
      if (action.status !== 'open')
        return { id: String(action.id), status: action.status, result: action.result };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new SoupError('SOUP_E_DEMO', `the system update did not finish within ${timeoutMs / 1000} s`);
}

async function whyNoAction(mgmt: ManagementClient): Promise<string> {
  const system = await mgmt.get<{
    lastReport: { modules: { name: string; status?: string }[] } | null;
    matchedRecipe: { id: string | number } | null;
  }>(`systems/${CONTROLLER_ID}`);
  if (!system.lastReport) return 'no system report from the gateway yet';
  const unreachable = system.lastReport.modules.filter((m) => m.status === 'unreachable').map((m) => m.name);
  if (unreachable.length > 0)
    return `the gateway reports unreachable modules (${unreachable.join(', ')}): no recipe matches`;
  if (!system.matchedRecipe) return 'the system report matches no released recipe';
  return `recipe ${system.matchedRecipe.id} matches; the action is being opened`;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function verify(
  mgmt: ManagementClient,
  dirs: Record<string, string>,
  images: DemoImage[],
  agentConfig: string,
  recipeId: number,
  action: { id: string; status: string; result: string | null },
): Promise<DemoResult['checks']> {
  const checks: DemoResult['checks'] = [];
  const check = (what: string, ok: boolean, detail: string) => checks.push({ what, ok, detail });
  check(
    'action closed with success',
    action.result === 'success',
    `action ${action.id}: ${action.status}/${action.result}`,
  );

  const gatewayImage = images.find((i) => i.module === 'gateway')!;
  const installed = await sha256File(join(dirs.gateway!, 'rootfs.img')).catch(() => 'missing');
  check(
    'gateway image installed byte for byte',
    installed === gatewayImage.sha256,
    `sha256 ${installed.slice(0, 16)}…`,
  );

  const system = await mgmt.get<{
    installedRecipe: { id: string | number } | null;
    lastReport: { modules: { name: string; attributes: Record<string, string> }[] } | null;
  }>(`systems/${CONTROLLER_ID}`);
  check(
    'server-lite shows the recipe installed',
    String(system.installedRecipe?.id) === String(recipeId),
    `installedRecipe ${JSON.stringify(system.installedRecipe)}`,
  );
  for (const img of images.filter((i) => i.module !== 'gateway')) {
    const reported = system.lastReport?.modules.find((m) => m.name === img.module)?.attributes.swVersion;
    check(`${img.module} reports its new version`, reported === img.version, `swVersion ${reported}`);
  }

  const status = JSON.parse(runCli(['status', '--json', '-c', agentConfig])) as {
    lastResult: { finished: string } | null;
  };
  check(
    'soup-agent status shows the result',
    status.lastResult?.finished === 'success',
    `lastResult ${JSON.stringify(status.lastResult)}`,
  );
  return checks;
}

async function writeSimulateConfig(
  dirs: Record<string, string>,
  modules: DemoOptions['modules'],
): Promise<string> {
  return writeJson(join(dirs.dev!, 'simulate.json'), { modules: demoSimulatedModules(dirs.dev!, modules) });
}

async function writeAgentConfig(
  dirs: Record<string, string>,
  url: string,
  modules: DemoOptions['modules'],
): Promise<string> {
  const trust = join(dirs.keys!, `${KID}.jwks.json`);
  await readFile(trust); // the key pair exists: keygen ran
  return writeJson(join(dirs.agent!, 'config.json'), {
    server: { url, tenant: TENANT, controllerId: CONTROLLER_ID, auth: { targetToken: TARGET_TOKEN } },
    dataDir: join(dirs.agent!, 'data'),
    trust: { keys: trust },
    modules: {
      ...demoModulesConfig(dirs.dev!, modules),
      local: [
        {
          name: 'gateway',
          gateway: true,
          type: 'gateway',
          attributes: { 'module-id': 'gw', swVersion: '1.0.0' },
          handler: 'rawfile',
          target: join(dirs.gateway!, 'rootfs.img'),
        },
      ],
    },
    consent: 'never',
  });
}
