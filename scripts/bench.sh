#!/usr/bin/env bash
# Runs the benchmarks (bench/*.ts), each printing our figure, a baseline measured in the same run and the
# ratio. `bash scripts/bench.sh` runs all; `bash scripts/bench.sh match poll` runs the named ones.
# Figures are written to bench-results/<name>.txt as well.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh
bash scripts/setup.sh >&2
mkdir -p bench-results
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in dist/bench/*.js; do
    [ -e "$f" ] || continue
    n=$(basename "$f" .js)
    case "$n" in _*) continue ;; esac
    names+=("$n")
  done
fi
[ ${#names[@]} -gt 0 ] || { echo "bench: no benchmarks built in dist/bench" >&2; exit 1; }
status=0
for n in "${names[@]}"; do
  echo "== bench $n"
  node --expose-gc "dist/bench/$n.js" | tee "bench-results/$n.txt" || status=1
done
exit "$status"
