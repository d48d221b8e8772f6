#!/usr/bin/env bash
# One command, no set-up: installs what is missing, builds, and runs `soup-agent demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh
bash scripts/setup.sh >&2
exec node dist/src/cli/main.js demo "$@"
