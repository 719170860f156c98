#!/usr/bin/env bash
# The README's test command: installs what is missing, builds (Release, warnings
# as errors) and runs the whole test suite with ctest. `.ci/run` calls this.
#   scripts/test.sh            native suite
#   RSR_TEST_JOBS=N            ctest parallelism (default: number of cores)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
jobs=$(nproc)

echo "== native (Release, -Werror) ==" >&2
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs"
ctest --preset release -j"${RSR_TEST_JOBS:-$jobs}"
