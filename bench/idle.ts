/**
 * Idle agent between polls: RSS and CPU of `soup-agent run` (server-lite in its own process, a gateway
 * with one local module, polling every 10 s, nothing to install) over a quiet window, against a bare
 * `node` process idling on a timer, measured in the same run from /proc.
 *
 *   node dist/bench/idle.js [windowSeconds=30]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagementClient } from '../src/demo/management-client.js';
import { startCli } from '../src/demo/processes.js';
import { agentEnvironment, agentEnvironmentText } from './_bench-util.js';

const windowSec = Number(process.argv[2] ?? 30);
const TICKS_PER_SEC = 100; // USER_HZ on Linux

async function sample(pid: number): Promise<{ rssKiB: number; cpuTicks: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  // fields after the command name: utime is the 12th, stime the 13th
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return { rssKiB, cpuTicks: Number(stat[11]) + Number(stat[12]) };
}

async function measure(pid: number, seconds: number): Promise<{ rssMiB: number; cpuPercent: number }> {
  const start = await sample(pid);
  let peak = start.rssKiB;
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    peak = Math.max(peak, (await sample(pid)).rssKiB);
  }
  const end = await sample(pid);
  return {
    rssMiB: peak / 1024,
    cpuPercent: ((end.cpuTicks - start.cpuTicks) / TICKS_PER_SEC / seconds) * 100,
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'soup-bench-idle-'));
  const bare: ChildProcess = spawn(process.execPath, ['-e', 'setInterval(() => {}, 10_000)'], {
    stdio: 'ignore',
  });
  const serverConfig = join(dir, 'server.json');
  await writeFile(
    serverConfig,
    JSON.stringify({
      port: 0,
      host: '127.0.0.1',
      dataDir: join(dir, 'server'),
      users: [{ name: 'admin', password: 'bench-password', roles: ['ADMIN'] }],
      pollingSleep: '00:00:10',
    }),
  );
  const server = startCli('server-lite', ['server-lite', '-c', serverConfig], {
    logFile: join(dir, 'server.log'),
  });
  let agent: ReturnType<typeof startCli> | undefined;
  try {
    const { url } = await server.waitForLine<{ ready?: boolean; url: string }>(
      (l) => l.ready === true,
      30_000,
    );
    const mgmt = new ManagementClient(url, 'admin', 'bench-password');
    await mgmt.post('targets', [{ controllerId: 'gw-idle', name: 'idle', securityToken: 'idle-token' }]);
    // one public key: `run` refuses an empty trust store before it starts
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    await writeFile(
      join(dir, 'jwks.json'),
      JSON.stringify({ keys: [{ ...jwk, kid: 'idle', alg: 'ES256' }] }),
    );
    const agentConfig = join(dir, 'agent.json');
    await writeFile(
      agentConfig,
      JSON.stringify({
        server: { url, tenant: 'DEFAULT', controllerId: 'gw-idle', auth: { targetToken: 'idle-token' } },
        dataDir: join(dir, 'agent'),
        trust: { keys: join(dir, 'jwks.json') },
        modules: {
          local: [
            {
              name: 'gateway',
              gateway: true,
              attributes: { 'module-id': 'gw' },
              handler: 'rawfile',
              target: join(dir, 'slot'),
            },
          ],
        },
      }),
    );
    agent = startCli('agent', ['run', '-c', agentConfig], {
      logFile: join(dir, 'agent.log'),
      env: agentEnvironment(),
    });
    // settle: the first report and poll are done, start-up garbage collected
    for (let i = 0; i < 60; i++) {
      const system = await mgmt.get<{ lastReport: unknown }>('systems/gw-idle');
      if (system.lastReport) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 5000));
    const [ours, base] = await Promise.all([
      measure(agent.child.pid!, windowSec),
      measure(bare.pid!, windowSec),
    ]);
    console.log(`idle agent over ${windowSec} s, polling every 10 s, ${agentEnvironmentText()}:`);
    console.log(
      `idle RSS: ours ${ours.rssMiB.toFixed(1)} MiB, baseline (bare node) ${base.rssMiB.toFixed(1)} MiB, ratio ${(ours.rssMiB / base.rssMiB).toFixed(2)}`,
    );
    console.log(
      `idle CPU: ours ${ours.cpuPercent.toFixed(2)} %, baseline (bare node) ${base.cpuPercent.toFixed(2)} %, difference ${(ours.cpuPercent - base.cpuPercent).toFixed(2)} points`,
    );
  } finally {
    await agent?.stop();
    await server.stop();
    bare.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
