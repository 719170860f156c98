#!/usr/bin/env bash
# The README's main command: installs what is missing, builds Release, checks
# every kernel against the reference, runs the default comparison on this
# machine and writes results/<machine-id>/ and plots/<machine-id>/.
#   RSR_MIN_TIME=0.2   seconds of timed calls per case
set -euo pipefail
cd "$(dirname "$0")/.."

RSR_SETUP_CROSS=${RSR_SETUP_CROSS:-0} bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target rsr-bench
bench=build/release/bin/rsr-bench

id=$($bench info --id)
out=results/$id
mkdir -p "$out"
echo "== machine $id; load average: $(cut -d' ' -f1-3 /proc/loadavg) ==" >&2

echo "== verify: every kernel against the reference ==" >&2
$bench verify --kernels all --shapes 1x1,17x33,1000x999,3200x8640 --tokens 1,3 \
  --threads 2 --target all > "$out/verify.txt"
tail -1 "$out/verify.txt"

echo "== run: default comparison ==" >&2
$bench run --kernels all --shapes square-small,bitnet-2b --tokens 1 --threads 1,2 \
  --min-time "${RSR_MIN_TIME:-0.2}" --format json --out "$out/run.json" --csv "$out/run.csv"
echo "results in $out" >&2
