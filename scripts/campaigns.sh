#!/usr/bin/env bash
# Fault campaigns with the real processes (server-lite, the agent, the simulated SMP and UDS modules),
# in full, then a table: campaign, runs, passed, failed, the cause of each failure.
#
#   bash scripts/campaigns.sh                 all three campaigns in full
#   bash scripts/campaigns.sh power-loss      one of: power-loss, bad-networks, bad-modules
#   bash scripts/campaigns.sh fuzz            the fuzz targets at 100,000 cases each (FUZZ_RUNS)
#   bash scripts/campaigns.sh table           the table of the last results, without running anything
#
# Run counts: POWER_LOSS_RUNS (default 200), BAD_NETWORKS_RUNS (100), BAD_MODULES_RUNS (39: each of
# the 13 simulator faults 3 times). CAMPAIGN_SEED fixes the seed (printed either way), so a failing run
# reproduces: CAMPAIGN_SEED=<seed> CAMPAIGN_RUNS=<n> npx vitest run test/campaigns/<name>.test.ts
# Per-run results are in .tmp/campaigns/<name>.json, the processes' logs in the run's temp directory.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh

ALL=(power-loss bad-networks bad-modules)
if [[ $# -eq 0 ]]; then names=("${ALL[@]}"); else names=("$@"); fi

runs_for() {
  case "$1" in
    power-loss) echo "${POWER_LOSS_RUNS:-200}" ;;
    bad-networks) echo "${BAD_NETWORKS_RUNS:-100}" ;;
    bad-modules) echo "${BAD_MODULES_RUNS:-39}" ;;
    *) return 1 ;;
  esac
}

if [[ "${names[0]}" == "fuzz" ]]; then
  echo "== fuzz: FUZZ_RUNS=${FUZZ_RUNS:-100000} per target"
  FUZZ_RUNS="${FUZZ_RUNS:-100000}" exec npx vitest run test/fuzz
fi

table_only=0
if [[ "${names[0]}" == "table" ]]; then
  table_only=1
  names=("${ALL[@]}")
fi

for name in "${names[@]}"; do
  if ! runs_for "$name" >/dev/null; then
    echo "campaigns: unknown campaign '$name' (power-loss, bad-networks, bad-modules, fuzz)" >&2
    exit 2
  fi
done

status=0
if [[ $table_only -eq 0 ]]; then
  echo "== build"
  npx tsc -p tsconfig.json

  export CAMPAIGN_SEED="${CAMPAIGN_SEED:-$((RANDOM * 32768 + RANDOM))}"
  echo "== CAMPAIGN_SEED=$CAMPAIGN_SEED"
  mkdir -p .tmp/campaigns
  for name in "${names[@]}"; do
    runs=$(runs_for "$name")
    rm -f ".tmp/campaigns/$name.json"
    echo "== $name: $runs runs"
    # per-run lines stream as they finish; the table below is built from the results file
    CAMPAIGN_RUNS="$runs" npx vitest run "test/campaigns/$name.test.ts" --reporter=default |
      grep -E "$name run [0-9]+:" || true
    [[ -f ".tmp/campaigns/$name.json" ]] || status=1
  done
fi

# shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
node -e '
  const fs = require("node:fs");
  const rows = process.argv.slice(1).map((name) => {
    const file = `.tmp/campaigns/${name}.json`;
    if (!fs.existsSync(file)) return { name, runs: 0, passed: 0, failed: 0, causes: ["no results (the campaign did not finish)"] };
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    const failed = r.outcomes.filter((o) => !o.ok);
    return {
      name, runs: r.runs, passed: r.runs - failed.length, failed: failed.length, seed: r.seed, byTag: r.byTag,
      causes: failed.map((o) => `run ${o.run} (${o.tag}): ${o.note}`.slice(0, 400)),
    };
  });
  const line = (c) => `${c[0].padEnd(14)} ${String(c[1]).padStart(5)} ${String(c[2]).padStart(7)} ${String(c[3]).padStart(7)}  ${c[4]}`;
  console.log(line(["campaign", "runs", "passed", "failed", "cause of each failure"]));
  for (const r of rows) {
    console.log(line([r.name, r.runs, r.passed, r.failed, r.causes[0] ?? "-"]));
    for (const c of r.causes.slice(1)) console.log(line(["", "", "", "", c]));
  }
  for (const r of rows.filter((x) => x.byTag)) {
    const tally = Object.entries(r.byTag).map(([tag, t]) => `${tag} ${t.runs}${t.failed ? ` (${t.failed} failed)` : ""}`);
    console.log(`${r.name} (seed ${r.seed}) by ${r.name === "power-loss" ? "phase the kill hit" : "fault"}: ${tally.join(", ")}`);
  }
  process.exit(rows.some((r) => r.failed > 0 || r.runs === 0) ? 1 : 0);
' "${names[@]}" || status=1
exit "$status"
