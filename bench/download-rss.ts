/**
 * Benchmark: peak RSS of a child process downloading a 64 MiB and a 1 GiB artifact with
 * `downloadArtifact` (target ≤ 90 MB each, growth < 5 MB between the two: memory does not grow with the
 * artifact), against the peak RSS of a bare `node -e` process measured in the same run, both with the
 * node options of the systemd unit. The function alone: `update-rss.ts` measures the whole agent process.
 * The server (node:http static files with Range) runs in a process of its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentNodeOptions, makeArtifact, startServerProcess } from './_bench-util.js';

const MiB = 1024 * 1024;
const SIZES = [64 * MiB, 1024 * MiB];

function childRssMB(args: string[]): number {
  const out = execFileSync(process.execPath, args, {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: agentNodeOptions() },
  });
  return (JSON.parse(out.trim()) as { maxRssKiB: number }).maxRssKiB / 1024;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'soup-bench-rss-'));
  try {
    const files = SIZES.map((size, i) => ({ size, path: join(dir, `artifact-${i}.bin`), sha256: '' }));
    for (const f of files) f.sha256 = await makeArtifact(f.path, f.size);
    const server = await startServerProcess(files.map((f) => f.path));
    const child = new URL('./_download-child.js', import.meta.url).pathname;
    const ours: number[] = [];
    try {
      for (const [i, f] of files.entries()) {
        const dest = join(dir, `download-${i}.bin`);
        ours.push(
          childRssMB([child, `http://127.0.0.1:${server.port}/${i}`, dest, String(f.size), f.sha256]),
        );
        await unlink(dest);
      }
    } finally {
      await server.stop();
    }
    const baseline = childRssMB([
      '-e',
      'process.stdout.write(JSON.stringify({maxRssKiB: process.resourceUsage().maxRSS}))',
    ]);
    const [small = Number.NaN, large = Number.NaN] = ours;
    // context: what loading the download module (its HTTP client included) costs before any byte moves
    const moduleUrl = new URL('../src/agent/net/download.js', import.meta.url).href;
    const loaded = childRssMB([
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(moduleUrl)}); process.stdout.write(JSON.stringify({maxRssKiB: process.resourceUsage().maxRSS}))`,
    ]);
    console.log(
      `context: bare node ${baseline.toFixed(1)} MB; node with the download module loaded ${loaded.toFixed(1)} MB`,
    );
    const line = (label: string, mb: number) =>
      console.log(
        `peak RSS downloading ${label}: ours ${mb.toFixed(1)} MB, baseline ${baseline.toFixed(1)} MB (bare node -e), ` +
          `ratio ${(mb / baseline).toFixed(2)} (target ≤ 90 MB)`,
      );
    line('64 MiB', small);
    line('1 GiB', large);
    console.log(
      `peak RSS growth 64 MiB → 1 GiB: ours ${(large - small).toFixed(1)} MB, baseline 0 MB (flat), ` +
        `ratio n/a (target < 5 MB)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
