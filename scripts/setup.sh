#!/usr/bin/env bash
# Installs everything the demo, the tests and the benchmarks need, on a fresh Debian machine:
# Node.js 24 (scripts/node-env.sh), Debian packages (socat for pseudo-terminals, mosquitto for the MQTT local API, udev for serial port
# listing, shellcheck and systemd for unit checks, curl for benchmarks, openssl for TLS test certificates
# and signed .swu files, swupdate for the stock hawkBit client test in test/stock-client, chromium for
# the console's browser tests, driven by playwright-core, python3 to start a process with write-or-execute
# memory enforced by the kernel), npm packages,
# and the build.
# Idempotent: a second run only rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."

# Node.js 24 first on PATH; native modules build against its headers.
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh

need=()
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v udevadm >/dev/null 2>&1 || need+=(udev)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v swupdate >/dev/null 2>&1 || need+=(swupdate)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

stamp=node_modules/.soup-setup-stamp
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ "$(cat "$stamp")" != "$(node --version)" ]; then
  echo "setup: npm ci (exactly the locked versions; the lockfile is never rewritten)"
  npm ci --no-audit --no-fund --loglevel=error
  node --version > "$stamp"
fi

echo "setup: building"
npx tsc -p tsconfig.json
bash scripts/build-console.sh
