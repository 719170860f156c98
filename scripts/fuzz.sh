#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a bounded
# time, starting from the committed corpus (tests/fuzz/corpus/<name>/). New
# inputs go to a scratch directory, not into the repository.
#   RSR_FUZZ_SECONDS=20   time per fuzzer
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$(nproc)"
secs=${RSR_FUZZ_SECONDS:-20}
for name in load diff; do
  scratch=$(mktemp -d)
  seeds=tests/fuzz/corpus/$name
  echo "== ${name}_fuzzer for ${secs}s ==" >&2
  ASAN_OPTIONS=detect_leaks=1 build/fuzz/bin/${name}_fuzzer -max_total_time="$secs" \
    -print_final_stats=1 -max_len=4096 "$scratch" $( [[ -d $seeds ]] && echo "$seeds" ) 2>&1 | tail -n 12
  rm -rf "$scratch"
done
