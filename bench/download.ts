/**
 * Benchmark: downloading a 512 MiB artifact over loopback with `downloadArtifact` (streaming, SHA-256,
 * write to disk, fsync, rename) against `curl -s URL | sha256sum` in the same run (target ≤ 1.15×).
 * The server runs in its own process: a node:http static file server with Range/ETag (server-lite's
 * `startServerLite` has not landed on main; this bench says so in its output). Five runs of each,
 * alternating; the median counts, the best is printed too (the machine may be shared).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { downloadArtifact } from '../src/agent/net/download.js';
import { makeArtifact, median, startServerProcess } from './_bench-util.js';

const SIZE = 512 * 1024 * 1024;
const RUNS = 5;

function curlSha256(url: string): Promise<{ ms: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('bash', ['-c', 'set -o pipefail; curl -s "$1" | sha256sum', 'bench', url], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
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

async function main(): Promise<void> {
  execFileSync('curl', ['--version'], { stdio: 'ignore' });
  const dir = await mkdtemp(join(tmpdir(), 'soup-bench-download-'));
  const source = join(dir, 'artifact.bin');
  const dest = join(dir, 'downloads', 'artifact.bin');
  try {
    const sha256 = await makeArtifact(source, SIZE);
    const server = await startServerProcess([source]);
    const url = `http://127.0.0.1:${server.port}/0`;
    const ours: number[] = [];
    const curl: number[] = [];
    const auth = { headers: async () => ({}), unauthorized: async () => false, dispatcher: undefined };
    try {
      await curlSha256(url); // warm-up: page cache and server JIT
      for (let i = 0; i < RUNS; i++) {
        const c = await curlSha256(url);
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
    console.log('server: node:http static file server in its own process (server-lite not on main yet)');
    console.log(
      `runs (s): ours ${ours.map((t) => (t / 1000).toFixed(2)).join(' ')}; curl ${curl.map((t) => (t / 1000).toFixed(2)).join(' ')}`,
    );
    const best = (xs: number[]) => Math.min(...xs) / 1000;
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
