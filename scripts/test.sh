#!/usr/bin/env bash
# The README's test command: installs what is missing, builds (Release, warnings
# as errors) and runs the whole test suite with ctest. `.ci/run` calls this.
#   scripts/test.sh            native suite, then (RSR_TEST_CROSS=1) the aarch64
#                              cross build tested under qemu-user (NEON, SVE, SVE2)
#   RSR_TEST_JOBS=N            ctest parallelism (default: number of cores)
#   RSR_TEST_CROSS=1           also run the aarch64 part (also skipped when the
#                              cross toolchain is absent, RSR_SETUP_CROSS=0)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
jobs=$(nproc)

echo "== native (Release, -Werror) ==" >&2
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs"
ctest --preset release -j"${RSR_TEST_JOBS:-$jobs}"

# aarch64: one ctest per QEMU_CPU (cortex-a72 NEON, a64fx SVE, max SVE2), each
# the whole rsr_tests binary with RSR_TEST_SCALE=quick (tests/CMakeLists.txt).
# TODO(issue 6): default to 1 once kernels/rsr/rsr_simd.cc builds for SVE
# (arrays of hn::Vec are not allowed for SVE's sizeless vector types).
if [[ "${RSR_TEST_CROSS:-0}" == 0 ]]; then
  echo "== aarch64: skipped (set RSR_TEST_CROSS=1 to run it) ==" >&2
elif ! command -v aarch64-linux-gnu-g++ >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
  echo "== aarch64: skipped (no aarch64-linux-gnu-g++ / qemu-aarch64) ==" >&2
else
  echo "== aarch64 cross (qemu-user: NEON, SVE, SVE2) ==" >&2
  cmake --preset aarch64 >/dev/null
  cmake --build --preset aarch64 -j"$jobs"
  ctest --preset aarch64 -j"${RSR_TEST_JOBS:-$jobs}"
fi
