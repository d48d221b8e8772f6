/**
 * Benchmark: downloading a 512 MiB artifact over loopback with `downloadArtifact` (streaming, SHA-256,
 * write to disk, fsync, rename) against `curl -s URL | sha256sum` in the same run (target ≤ 1.15×).
 * The artifact is served by server-lite in its own process (DDI `softwaremodules/{id}/artifacts/{name}`,
 * TargetToken), set up through its Management API like a CI pipeline would. Five runs of each,
 * alternating; the median counts, the best is printed too (the machine may be shared).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createAuth } from '../src/agent/net/auth.js';
import { downloadArtifact } from '../src/agent/net/download.js';
import { ManagementClient } from '../src/demo/management-client.js';
import { makeArtifact, median, startServerLiteProcess } from './_bench-util.js';

const SIZE = 512 * 1024 * 1024;
const RUNS = 5;
const CONTROLLER = 'bench-gw';

function curlSha256(url: string, authorization: string): Promise<{ ms: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      'bash',
      [
        '-c',
        'set -o pipefail; curl -sf -H "Authorization: $2" "$1" | sha256sum',
        'bench',
        url,
        authorization,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`curl | sha256sum exited with ${code}`));
      else resolve({ ms: performance.now() - started, sha256: out.split(' ')[0] ?? '' });
    });
  });
}

interface Entity {
  id: number;
}

async function main(): Promise<void> {
  execFileSync('curl', ['--version'], { stdio: 'ignore' });
  const dir = await mkdtemp(join(tmpdir(), 'soup-bench-download-'));
  const source = join(dir, 'artifact.bin');
  const dest = join(dir, 'downloads', 'artifact.bin');
  const password = randomBytes(12).toString('hex');
  const token = randomBytes(12).toString('hex');
  try {
    const sha256 = await makeArtifact(source, SIZE);
    const server = await startServerLiteProcess(join(dir, 'server-lite'), password);
    const ours: number[] = [];
    const curl: number[] = [];
    try {
      const mgmt = new ManagementClient(server.url, 'bench', password);
      await mgmt.post('targets', [{ controllerId: CONTROLLER, name: 'bench gateway', securityToken: token }]);
      const [sm] = await mgmt.post<Entity[]>('softwaremodules', [
        { name: 'bench-fw', version: '1.0.0', type: 'firmware', vendor: 'bench' },
      ]);
      const uploaded = await mgmt.upload<{ hashes: { sha256: string } }>(
        `softwaremodules/${sm!.id}/artifacts`,
        source,
        'artifact.bin',
      );
      if (uploaded.hashes.sha256 !== sha256) throw new Error('server-lite hashed the artifact differently');
      const [ds] = await mgmt.post<Entity[]>('distributionsets', [
        { name: 'bench-fw', version: '1.0.0', type: 'firmware', modules: [{ id: sm!.id }] },
      ]);
      await mgmt.post(`distributionsets/${ds!.id}/assignedTargets`, [{ id: CONTROLLER }]);
      const url = `${server.url}/DEFAULT/controller/v1/${CONTROLLER}/softwaremodules/${sm!.id}/artifacts/artifact.bin`;
      const auth = createAuth({ targetToken: token });
      const authorization = `TargetToken ${token}`;

      await curlSha256(url, authorization); // warm-up: page cache and server JIT
      for (let i = 0; i < RUNS; i++) {
        const c = await curlSha256(url, authorization);
        if (c.sha256 !== sha256) throw new Error(`curl | sha256sum gave ${c.sha256}, expected ${sha256}`);
        curl.push(c.ms);
        const started = performance.now();
        await downloadArtifact({ url, dest, size: SIZE, sha256, auth });
        ours.push(performance.now() - started);
        await unlink(dest);
      }
    } finally {
      await server.stop();
    }
    const o = median(ours) / 1000;
    const b = median(curl) / 1000;
    const best = (xs: number[]) => Math.min(...xs) / 1000;
    console.log('server: server-lite in its own process (DDI artifact download, TargetToken)');
    console.log(
      `runs (s): ours ${ours.map((t) => (t / 1000).toFixed(2)).join(' ')}; curl ${curl.map((t) => (t / 1000).toFixed(2)).join(' ')}`,
    );
    console.log(
      `best of ${RUNS} (s): ours ${best(ours).toFixed(2)}, curl ${best(curl).toFixed(2)}, ratio ${(best(ours) / best(curl)).toFixed(2)}`,
    );
    console.log(
      `download 512 MiB wall time (median of ${RUNS}): ours ${o.toFixed(2)} s (downloadArtifact: SHA-256 + write + fsync), ` +
        `baseline ${b.toFixed(2)} s (curl -s | sha256sum), ratio ${(o / b).toFixed(2)} (target ≤ 1.15)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
