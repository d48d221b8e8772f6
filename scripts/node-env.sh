#!/usr/bin/env bash
# Sourced by the project's scripts: puts a supported Node.js (24 LTS) first on PATH.
# The system Node of a Debian machine may be older (Node 20 reached end of life in April 2026); the
# official Node 24 binary with its headers comes from the npm registry (package node-linux-<arch>),
# is unpacked once under .tools/ and native modules (better-sqlite3, serialport) compile against
# its headers (npm_config_nodedir).
# shellcheck shell=bash
SOUP_NODE_VERSION=24.22.3
soup_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "$(uname -m)" in
  x86_64) soup_node_arch=x64 ;;
  aarch64) soup_node_arch=arm64 ;;
  *) soup_node_arch="" ;;
esac
soup_node_dir="$soup_root/.tools/node-v$SOUP_NODE_VERSION"
if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 24 ] && [ ! -x "$soup_node_dir/bin/node" ]; then
  : # the node on PATH is already supported
elif [ -n "$soup_node_arch" ]; then
  if [ ! -x "$soup_node_dir/bin/node" ]; then
    echo "setup: installing Node.js $SOUP_NODE_VERSION (npm package node-linux-$soup_node_arch) under .tools/" >&2
    soup_tmp="$(mktemp -d)"
    (cd "$soup_tmp" && npm pack --silent "node-linux-$soup_node_arch@$SOUP_NODE_VERSION" >/dev/null)
    mkdir -p "$soup_node_dir"
    tar -xzf "$soup_tmp"/node-linux-*.tgz -C "$soup_node_dir" --strip-components=1
    rm -rf "$soup_tmp"
  fi
  export PATH="$soup_node_dir/bin:$PATH"
  export npm_config_nodedir="$soup_node_dir"
else
  echo "setup: no Node.js $SOUP_NODE_VERSION package for $(uname -m); using $(node --version)" >&2
fi
unset soup_root soup_node_arch soup_node_dir
