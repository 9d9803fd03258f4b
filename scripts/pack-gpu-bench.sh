#!/usr/bin/env bash
# Packs bench/gpu-device.ts for a GPU machine that has no package registry (the device tool):
# one esbuild bundle, the linux-x64 parts of onnxruntime-node and Dawn's webgpu package, the
# Vulkan loader, and this machine's Node binary, compressed into .cache/gpu-bench/ (under the
# tool's 64 MiB carry limit). Run there with:  bash .cache/gpu-bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=.cache/gpu-bench
rm -rf "$out" && mkdir -p "$out/stage/node_modules"
stage="$out/stage"

npx --no-install esbuild bench/gpu-device.ts --bundle --platform=node --format=esm --target=node20 \
  --external:onnxruntime-node --external:webgpu --outfile="$stage/gpu-device.mjs" --log-level=warning \
  --banner:js="import { createRequire as sdedgeRequire } from 'node:module'; const require = sdedgeRequire(import.meta.url);"

ort="$stage/node_modules/onnxruntime-node"
mkdir -p "$ort/bin/napi-v6/linux/x64"
cp -r node_modules/onnxruntime-node/package.json node_modules/onnxruntime-node/dist "$ort/"
cp node_modules/onnxruntime-node/bin/napi-v6/linux/x64/{onnxruntime_binding.node,libonnxruntime.so.1} "$ort/bin/napi-v6/linux/x64/"
cp -r node_modules/onnxruntime-common "$stage/node_modules/"
mkdir -p "$stage/node_modules/webgpu/dist"
cp node_modules/webgpu/{package.json,index.js} "$stage/node_modules/webgpu/"
cp -r node_modules/webgpu/dist/linux-x64 "$stage/node_modules/webgpu/dist/"
bash scripts/setup-lavapipe.sh >/dev/null
mkdir -p "$stage/vulkan"
cp -L .cache/lavapipe/root/usr/lib/x86_64-linux-gnu/libvulkan.so.1 "$stage/vulkan/"
cp "$(command -v node)" "$stage/node"

tar -C "$stage" -cJf "$out/payload.tar.xz" .
rm -rf "$stage"
cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# Unpacks the payload next to this script and runs the GPU benchmark with the machine's own
# Vulkan driver (nvidia_icd.json); results go to $OUT/gpu-bench.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
tar -C "$work" -xJf "$here/payload.tar.xz"
export LD_LIBRARY_PATH="$work/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null || true
cd "$work" && ./node gpu-device.mjs "$@"
RUN
chmod +x "$out/run.sh"
du -sh "$out"
