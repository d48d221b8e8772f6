/**
 * Benchmark: peak resident memory of the whole agent process (`soup-agent run`) during a real update of
 * one image (server-lite and the agent as separate processes, `dummy` handler; `_update-rig.ts`), for a
 * 64 MiB and a 1 GiB image, against a bare `node` process in the same run. Targets: ≤ 90 MiB, and less
 * than 5 MB more for the 1 GiB image than for the 64 MiB one.
 *
 *   node dist/bench/update-rss.js [runs=3]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentEnvironmentText, median } from './_bench-util.js';
import { bareNodeHwmKiB, startUpdateRig } from './_update-rig.js';

const MiB = 1024 * 1024;
const runs = Number(process.argv[2] ?? 3);

async function peaks(size: number): Promise<number[]> {
  const dir = await mkdtemp(join(tmpdir(), 'soup-bench-update-rss-'));
  try {
    const rig = await startUpdateRig(dir, size);
    try {
      const out: number[] = [];
      for (let i = 0; i < runs; i++) out.push((await rig.update()).peakKiB / 1024);
      return out;
    } finally {
      await rig.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const bare = median(Array.from({ length: 3 }, () => bareNodeHwmKiB() / 1024));
  const small = await peaks(64 * MiB);
  const large = await peaks(1024 * MiB);
  const s = median(small);
  const l = median(large);
  const f = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' ');
  console.log(
    `agent process peak RSS (VmHWM) over a whole update, dummy handler, ${agentEnvironmentText()}, median of ${runs}:`,
  );
  console.log(`runs (MiB): 64 MiB image ${f(small)}; 1 GiB image ${f(large)}`);
  for (const [label, mb] of [
    ['64 MiB image', s],
    ['1 GiB image', l],
  ] as const) {
    console.log(
      `update ${label}: ours ${mb.toFixed(1)} MiB, baseline (bare node) ${bare.toFixed(1)} MiB, ratio ${(mb / bare).toFixed(2)} (target ≤ 90 MiB)`,
    );
  }
  console.log(`growth 64 MiB → 1 GiB image: ${((l - s) * 1.048576).toFixed(1)} MB (target < 5 MB)`);
}

await main();
