#!/usr/bin/env bash
# Runs the first ```sh block of the README, literally, in a fresh clone of this checkout's HEAD,
# with no ONNX Runtime install variable set: what a new user's first minute looks like.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone --quiet "$root" "$work/sdedge"
block="$(awk '/^```sh$/ { inside = 1; next } inside && /^```$/ { exit } inside { print }' "$root/README.md")"
[ -n "$block" ] || { echo "no sh block in README.md" >&2; exit 1; }
echo "$ $block"
cd "$work/sdedge"
env -u ONNXRUNTIME_NODE_INSTALL -u npm_config_onnxruntime_node_install bash -euo pipefail -c "$block"
