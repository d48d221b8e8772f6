#!/usr/bin/env bash
# Installs everything the demo, the tests and the benchmarks need, on a fresh Debian machine with Node 20:
# Debian packages (socat for pseudo-terminals, mosquitto for the MQTT local API, udev for serial port
# listing, shellcheck and systemd for unit checks, curl for benchmarks, openssl for TLS test certificates
# and signed .swu files, swupdate for the stock hawkBit client test in test/stock-client), npm packages,
# and the build.
# Idempotent: a second run only rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."

# better-sqlite3 and serialport build native code against the headers of the running Node.
export npm_config_nodedir="${npm_config_nodedir:-/usr}"

need=()
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v udevadm >/dev/null 2>&1 || need+=(udev)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v swupdate >/dev/null 2>&1 || need+=(swupdate)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

stamp=node_modules/.soup-setup-stamp
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "setup: npm install from the lockfile (compiles better-sqlite3 from source: about two minutes)"
  # Not `npm ci`: the registry this project is built against lacks some optional platform binaries
  # (other OSes) that npm ci insists on finding in the lockfile; npm install installs the locked versions.
  npm install --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

echo "setup: building"
npx tsc -p tsconfig.json
