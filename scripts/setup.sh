#!/usr/bin/env bash
# Installs every Debian package the project needs. Idempotent: when everything
# is present it only runs dpkg-query and exits in well under a second.
# Works as root or through sudo. Set RSR_SETUP_CROSS=0 to skip the aarch64
# cross toolchain (NEON/SVE tests under qemu-user).
set -euo pipefail

native_pkgs=(
  build-essential cmake g++ pkg-config
  libhwy-dev libbenchmark-dev libbenchmark-tools libgtest-dev googletest
  nlohmann-json3-dev libcli11-dev
  clang libclang-rt-14-dev libomp-14-dev
  python3-matplotlib python3-scipy python3-numpy
  valgrind
)
cross_pkgs=(
  g++-aarch64-linux-gnu qemu-user
  libhwy-dev:arm64 libgtest-dev:arm64 libbenchmark-dev:arm64
)

want=("${native_pkgs[@]}")
if [[ "${RSR_SETUP_CROSS:-1}" != 0 && "$(dpkg --print-architecture)" == amd64 ]]; then
  want+=("${cross_pkgs[@]}")
fi

# With arm64 added (multi-arch), `dpkg-query -W libhwy-dev` prints one status
# per architecture: ask for the native one first, then the plain name
# (architecture-independent packages).
arch=$(dpkg --print-architecture)
installed() {
  local p=$1 q=$1
  [[ "$p" == *:* ]] || q="$p:$arch"
  { dpkg-query -W -f='${Status}\n' "$q" 2>/dev/null ||
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null; } | grep -qx 'install ok installed'
}
missing=()
for p in "${want[@]}"; do
  installed "$p" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#want[@]} packages present" >&2
  exit 0
fi

SUDO=()
if [[ $(id -u) != 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi

echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if printf '%s\n' "${missing[@]}" | grep -q ':arm64'; then
  dpkg --print-foreign-architectures | grep -qx arm64 || "${SUDO[@]}" dpkg --add-architecture arm64
fi
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
