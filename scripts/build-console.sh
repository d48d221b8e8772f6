#!/usr/bin/env bash
# Builds server-lite's web console into dist/console/: the browser TypeScript (console/src) compiled to
# ES modules by tsconfig.console.json, and the static files (console/static: HTML, CSS). server-lite
# serves exactly these files; nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist/console
npx tsc -p tsconfig.console.json
cp console/static/* dist/console/
