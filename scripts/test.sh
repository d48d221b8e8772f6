#!/usr/bin/env bash
# The whole test suite, with its own set-up: lint + format check, type check (sources and tests), the
# dependency rule (dependency-cruiser), then every vitest suite (unit, contract, end-to-end). Prints a
# closing line `tests: N passed, N failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
# The README's commands must leave the working tree as they found it (no rewritten lockfile, no build
# output outside ignored paths): compared at the end.
git_state() { git status --porcelain --untracked-files=all 2>/dev/null || true; }
tree_before="$(git_state)"
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh
bash scripts/setup.sh

echo "== lint and format (biome)"
npx biome check --error-on-warnings .
echo "== type check"
npx tsc -p tsconfig.test.json
echo "== dependencies (the layers of docs/architecture.md, no cycles)"
npx depcruise src --config .dependency-cruiser.cjs
echo "== shell scripts (shellcheck)"
shellcheck scripts/*.sh .ci/run

echo "== tests (vitest)"
mkdir -p .tmp
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/test-results.json "$@" || status=$?
# shellcheck disable=SC2016 # JavaScript template literal, not a shell expansion
node -e '
  const r = JSON.parse(require("node:fs").readFileSync(".tmp/test-results.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' || true

tree_after="$(git_state)"
if [ "$tree_before" != "$tree_after" ]; then
  echo "== the test run changed the working tree (git status --porcelain, before → after):"
  diff <(printf '%s\n' "$tree_before") <(printf '%s\n' "$tree_after") || true
  status=1
fi
exit "$status"
