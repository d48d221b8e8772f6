/**
 * Benchmark: a 512 MiB artifact from server-lite (its own process, DDI artifact download, TargetToken)
 * against `curl -s URL | sha256sum` on the same URL in the same run (target ≤ 1.15×), two ways:
 *   - end to end: the download phase of a real update as the backend sees it, `soup-agent run` in its own
 *     process (`_update-rig.ts`, `dummy` handler): server-lite's receipt of the first `downloading`
 *     feedback to that of `downloaded`;
 *   - `downloadArtifact` alone, in this process (streaming, SHA-256, write, fsync, rename).
 * Runs alternate with curl; the median counts, the best is printed too (the machine may be shared).
 *
 *   node dist/bench/download.js [runs=5]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createAuth } from '../src/agent/net/auth.js';
import { downloadArtifact } from '../src/agent/net/download.js';
import { median } from './_bench-util.js';
import { startUpdateRig } from './_update-rig.js';

const SIZE = 512 * 1024 * 1024;
const RUNS = Number(process.argv[2] ?? 5);

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

function report(label: string, ours: number[], curl: number[]): void {
  const s = (xs: number[]) => xs.map((t) => (t / 1000).toFixed(2)).join(' ');
  const best = (xs: number[]) => Math.min(...xs) / 1000;
  const o = median(ours) / 1000;
  const b = median(curl) / 1000;
  console.log(`${label}: runs (s): ours ${s(ours)}; curl ${s(curl)}`);
  console.log(
    `${label}: best of ${ours.length} (s): ours ${best(ours).toFixed(2)}, curl ${best(curl).toFixed(2)}, ratio ${(best(ours) / best(curl)).toFixed(2)}`,
  );
  console.log(
    `${label} (median of ${ours.length}): ours ${o.toFixed(2)} s, baseline ${b.toFixed(2)} s ` +
      `(curl -s | sha256sum), ratio ${(o / b).toFixed(2)} (target ≤ 1.15)`,
  );
}

async function main(): Promise<void> {
  execFileSync('curl', ['--version'], { stdio: 'ignore' });
  const dir = await mkdtemp(join(tmpdir(), 'soup-bench-download-'));
  try {
    const rig = await startUpdateRig(dir, SIZE);
    const e2e = { ours: [] as number[], curl: [] as number[] };
    const alone = { ours: [] as number[], curl: [] as number[] };
    try {
      const { artifactUrl: url, authorization, sha256 } = rig;
      const curl = async () => {
        const c = await curlSha256(url, authorization);
        if (c.sha256 !== sha256) throw new Error(`curl | sha256sum gave ${c.sha256}, expected ${sha256}`);
        return c.ms;
      };
      await curl(); // warm-up: page cache and server JIT
      for (let i = 0; i < RUNS; i++) {
        e2e.curl.push(await curl());
        e2e.ours.push((await rig.update()).downloadMs);
      }
      const auth = createAuth({ targetToken: authorization.replace(/^TargetToken /, '') });
      const dest = join(dir, 'downloads', 'artifact.bin');
      for (let i = 0; i < RUNS; i++) {
        alone.curl.push(await curl());
        const started = performance.now();
        await downloadArtifact({ url, dest, size: SIZE, sha256, auth });
        alone.ours.push(performance.now() - started);
        await unlink(dest);
      }
    } finally {
      await rig.stop();
    }
    console.log('server: server-lite in its own process (DDI artifact download, TargetToken), 512 MiB');
    report(
      'download phase of an update, agent process, first downloading → downloaded feedback',
      e2e.ours,
      e2e.curl,
    );
    report('downloadArtifact alone (SHA-256 + write + fsync)', alone.ours, alone.curl);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
