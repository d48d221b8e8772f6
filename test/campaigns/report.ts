/**
 * Campaign bookkeeping: how many runs (env `CAMPAIGN_RUNS`, else the short CI count), the seed (env
 * `CAMPAIGN_SEED`, else a fresh one, printed so a failing run reproduces), and the result of each run,
 * written to `.tmp/campaigns/<name>.json` for `scripts/campaigns.sh` to print as a table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { oneLine } from '../../src/lib/errors.js';

export interface RunOutcome {
  run: number;
  /** What the run exercised: the phase the kill hit, the network fault, the module fault. */
  tag: string;
  ok: boolean;
  /** Why the run failed (one line), or how it ended when it passed. */
  note: string;
}

export function campaignRuns(ciRuns: number): number {
  const n = Number(process.env.CAMPAIGN_RUNS);
  return Number.isInteger(n) && n > 0 ? n : ciRuns;
}

export const CAMPAIGN_SEED =
  process.env.CAMPAIGN_SEED === undefined ? Date.now() % 1_000_000 : Number(process.env.CAMPAIGN_SEED);

const RESULTS = fileURLToPath(new URL('../../.tmp/campaigns/', import.meta.url));

/** Prints the runs and a tally by tag, and writes the results file. Returns the failed runs. */
export function writeReport(name: string, outcomes: RunOutcome[]): RunOutcome[] {
  const failed = outcomes.filter((o) => !o.ok);
  const byTag = new Map<string, { runs: number; failed: number }>();
  for (const o of outcomes) {
    const t = byTag.get(o.tag) ?? { runs: 0, failed: 0 };
    t.runs++;
    if (!o.ok) t.failed++;
    byTag.set(o.tag, t);
  }
  const lines = [
    `campaign ${name}: ${outcomes.length} runs, ${outcomes.length - failed.length} passed, ${failed.length} failed (CAMPAIGN_SEED=${CAMPAIGN_SEED})`,
    ...[...byTag].sort().map(([tag, t]) => `  ${tag}: ${t.runs} runs, ${t.failed} failed`),
    ...failed.map((o) => `  run ${o.run} (${o.tag}) FAILED: ${o.note}`),
  ];
  console.log(lines.join('\n'));
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(
    join(RESULTS, `${name}.json`),
    JSON.stringify(
      {
        campaign: name,
        seed: CAMPAIGN_SEED,
        runs: outcomes.length,
        byTag: Object.fromEntries(byTag),
        outcomes,
      },
      null,
      2,
    ),
  );
  return failed;
}

/**
 * Carries out `runs` runs one after the other, prints each outcome as it comes, then the report.
 * A run the rig itself could not carry out (a process that would not start) is a failed run too.
 * Returns the failed runs.
 */
export async function runCampaign(
  name: string,
  runs: number,
  run: (i: number) => Promise<RunOutcome>,
): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = [];
  for (let i = 0; i < runs; i++) {
    const o = await run(i).catch(
      (err: unknown): RunOutcome => ({ run: i, tag: 'rig', ok: false, note: `rig error: ${oneLine(err)}` }),
    );
    outcomes.push(o);
    console.log(`${name} run ${i}: ${o.ok ? 'ok' : 'FAILED'} ${o.tag} ${o.note}`);
  }
  return writeReport(name, outcomes);
}
