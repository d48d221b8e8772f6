/**
 * Poll load on server-lite's Install API root resource, against a plain node:http server answering the
 * same JSON, measured in the same run. 1,000 simulated gateways (targets created up front, each with its
 * own TargetToken) poll `GET /{tenant}/controller/v1/{controllerId}` over keep-alive connections (undici
 * Pool). The load generator runs in a child process so it does not share the servers' event loop.
 * Bounded: at most POLL_REQUESTS requests or POLL_SECONDS seconds per server.
 *
 * Prints `poll requests/s: ours X, baseline Y, ratio Z (target ≥ 0.5)` and the p99 latencies.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool, request } from 'undici';
import { startServerLite } from '../src/server-lite/index.js';

const GATEWAYS = 1000;
const CONNECTIONS = 32;
const CONCURRENCY = 64;
const MAX_REQUESTS = Number(process.env.POLL_REQUESTS ?? 30_000);
const MAX_SECONDS = Number(process.env.POLL_SECONDS ?? 10);

interface LoadJob {
  origin: string;
  tenant: string;
  gateways: { cid: string; token: string }[];
}

interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
}

/** Child: polls round-robin over the gateways with CONCURRENCY requests in flight. */
async function loadGenerator(job: LoadJob): Promise<LoadResult> {
  const pool = new Pool(job.origin, { connections: CONNECTIONS, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(MAX_SECONDS * 1e9);
  // warm-up: one round over every gateway, not counted
  for (let i = 0; i < job.gateways.length; i += CONCURRENCY)
    await Promise.all(
      job.gateways.slice(i, i + CONCURRENCY).map(async (g) => {
        const r = await pool.request({
          path: `/${job.tenant}/controller/v1/${g.cid}`,
          method: 'GET',
          headers: { authorization: `TargetToken ${g.token}` },
        });
        await r.body.dump();
      }),
    );
  const t0 = process.hrtime.bigint();
  async function worker(): Promise<void> {
    while (next < MAX_REQUESTS && process.hrtime.bigint() < deadline + (t0 - start)) {
      const g = job.gateways[next++ % job.gateways.length] as { cid: string; token: string };
      const s = process.hrtime.bigint();
      const r = await pool.request({
        path: `/${job.tenant}/controller/v1/${g.cid}`,
        method: 'GET',
        headers: { authorization: `TargetToken ${g.token}` },
      });
      await r.body.text();
      if (r.statusCode !== 200) errors++;
      latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { requests: latencies.length, errors, seconds, p50: q(0.5), p99: q(0.99) };
}

function runChild(jobFile: string): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--load', jobFile], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-poll-'));
  const admin = { name: 'admin', password: 'bench', roles: ['ADMIN' as const] };
  const server = await startServerLite({
    port: 0,
    host: '127.0.0.1',
    dataDir: join(dir, 'data'),
    users: [admin],
    rateLimit: { getPerMinute: 10_000_000, writePerMinute: 10_000_000 },
  });
  try {
    const gateways = Array.from({ length: GATEWAYS }, (_, i) => ({
      cid: `bench-gw-${String(i).padStart(4, '0')}`,
      token: `bench-token-${i}`,
    }));
    const created = await request(`${server.url}/rest/v1/targets`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${admin.name}:${admin.password}`).toString('base64')}`,
      },
      body: JSON.stringify(gateways.map((g) => ({ controllerId: g.cid, securityToken: g.token }))),
    });
    if (created.statusCode !== 201)
      throw new Error(`creating targets: ${created.statusCode} ${await created.body.text()}`);
    await created.body.dump();
    const sample = await request(`${server.url}/DEFAULT/controller/v1/${gateways[0]?.cid}`, {
      headers: { authorization: `TargetToken ${gateways[0]?.token}` },
    });
    const body = await sample.body.text();

    const oursFile = join(dir, 'ours.json');
    writeFileSync(
      oursFile,
      JSON.stringify({ origin: server.url, tenant: 'DEFAULT', gateways } satisfies LoadJob),
    );
    let cpu = process.cpuUsage();
    const ours = await runChild(oursFile);
    const oursCpu = process.cpuUsage(cpu);

    const baseline = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    baseline.keepAliveTimeout = 65_000;
    await new Promise<void>((r) => baseline.listen(0, '127.0.0.1', r));
    const baseFile = join(dir, 'base.json');
    const baseOrigin = `http://127.0.0.1:${(baseline.address() as AddressInfo).port}`;
    writeFileSync(
      baseFile,
      JSON.stringify({ origin: baseOrigin, tenant: 'DEFAULT', gateways } satisfies LoadJob),
    );
    cpu = process.cpuUsage();
    const base = await runChild(baseFile);
    const baseCpu = process.cpuUsage(cpu);
    await new Promise<void>((r) => {
      baseline.close(() => r());
      baseline.closeAllConnections();
    });

    const rpsOurs = ours.requests / ours.seconds;
    const rpsBase = base.requests / base.seconds;
    const f = (n: number) => n.toFixed(1);
    console.log(
      `gateways: ${GATEWAYS}, connections: ${CONNECTIONS}, in flight: ${CONCURRENCY}, errors: ours ${ours.errors}, baseline ${base.errors}`,
    );
    console.log(
      `poll requests/s: ours ${f(rpsOurs)}, baseline ${f(rpsBase)}, ratio ${(rpsOurs / rpsBase).toFixed(2)} (target ≥ 0.5)`,
    );
    console.log(
      `poll p99 latency: ours ${f(ours.p99)} ms, baseline ${f(base.p99)} ms, ratio ${(ours.p99 / Math.max(base.p99, 0.001)).toFixed(2)} (target ours < 50 ms)`,
    );
    console.log(`poll p50 latency: ours ${f(ours.p50)} ms, baseline ${f(base.p50)} ms`);
    // server-process CPU per poll (warm-up included in both): robust on a loaded machine
    const perPoll = (c: NodeJS.CpuUsage, r: LoadResult) => (c.user + c.system) / (r.requests + GATEWAYS);
    console.log(
      `server CPU per poll: ours ${f(perPoll(oursCpu, ours))} µs, baseline ${f(perPoll(baseCpu, base))} µs, ratio ${(perPoll(oursCpu, ours) / perPoll(baseCpu, base)).toFixed(2)}`,
    );
    if (ours.errors > 0) process.exitCode = 1;
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const loadIndex = process.argv.indexOf('--load');
if (loadIndex >= 0) {
  const { readFileSync } = await import('node:fs');
  const job = JSON.parse(readFileSync(process.argv[loadIndex + 1] as string, 'utf8')) as LoadJob;
  const result = await loadGenerator(job);
  process.send?.(result, () => process.exit(0));
} else await main();
