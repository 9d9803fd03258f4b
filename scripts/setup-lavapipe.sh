#!/usr/bin/env bash
# Fetches Mesa's software Vulkan driver (lavapipe) from Debian bookworm-backports into
# .cache/lavapipe/ (ignored by git), without installing anything system-wide, and writes
# .cache/lavapipe/env.sh to source: LD_LIBRARY_PATH and VK_ICD_FILENAMES pointing at it.
# Debian 12's own Mesa (22.3) lavapipe lacks features Dawn requires; backports has 25.x.
# Idempotent: does nothing when the driver is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD/.cache/lavapipe"
prefix="$root/root"
icd="$root/lvp_icd.json"
if [ -f "$icd" ] && [ -f "$root/env.sh" ]; then
  echo "lavapipe already set up in $root"
  exit 0
fi
mkdir -p "$root/apt/lists/partial" "$root/apt/cache/archives/partial" "$root/debs" "$prefix"

# A private apt configuration: the system's sources plus bookworm-backports, its own lists.
cat > "$root/apt/sources.list" <<SOURCES
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian bookworm-backports main
SOURCES
apt_opts=(
  -o "Dir::Etc::SourceList=$root/apt/sources.list"
  -o "Dir::Etc::SourceParts=-"
  -o "Dir::State::Lists=$root/apt/lists"
  -o "Dir::Cache=$root/apt/cache"
  -o "Debug::NoLocking=1"
)
apt-get "${apt_opts[@]}" -qq update

# The driver and the libraries it needs that a bare Debian 12 may lack (backports versions).
packages=(mesa-vulkan-drivers libdrm2 libdrm-amdgpu1 libdrm-intel1 libdrm-common libllvm19 libz3-4 libxcb-randr0 libxcb-shm0 libxcb-dri3-0 libxcb-present0 libxcb-sync1 libxcb-xfixes0 libxshmfence1 libwayland-client0 libx11-xcb1 libsensors5 libelf1 libedit2 libxml2 libvulkan1)
(
  cd "$root/debs"
  for p in "${packages[@]}"; do
    apt-get "${apt_opts[@]}" -qq -t bookworm-backports download "$p" 2>/dev/null ||
      apt-get "${apt_opts[@]}" -qq download "$p" ||
      echo "warning: could not download $p"
  done
)
for deb in "$root"/debs/*.deb; do dpkg-deb -x "$deb" "$prefix"; done

lib="$prefix/usr/lib/x86_64-linux-gnu"
driver="$lib/libvulkan_lvp.so"
[ -f "$driver" ] || { echo "error: $driver is missing after unpacking" >&2; exit 1; }
cat > "$icd" <<JSON
{ "file_format_version": "1.0.0", "ICD": { "library_path": "$driver", "api_version": "1.3.0" } }
JSON
cat > "$root/env.sh" <<ENV
export LD_LIBRARY_PATH="$lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export VK_ICD_FILENAMES="$icd"
ENV
echo "lavapipe ready: source $root/env.sh"
