#!/usr/bin/env bash
# `rsr-bench regress` (timing mode) must catch a slowdown: against a baseline
# it writes itself, a normal run exits 0 and a run with one kernel slowed 21x
# (--slowdown-kernel: the harness wraps it in a kernel that calls it 21 times)
# exits 1. Small shapes keep it to seconds; the threshold (+300%) is far above
# run-to-run noise and far below the slowdown.
#   tests/regress_test.sh path/to/rsr-bench
set -u
bench=${1:?usage: regress_test.sh path/to/rsr-bench}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
common=(--baseline "$dir/baseline.json" --kernels dense-f32,i2s,rsrpp-simd
        --shapes 256x512 --tokens 1 --min-time 0.03 --threshold 3)
# rsrpp-simd and i2s may be absent from a registry in progress; dense-f32 and
# one other kernel are enough.
slow=i2s
"$bench" list | grep -q '^i2s ' || slow=rsrpp-simd

"$bench" regress "${common[@]}" --update || { echo "FAIL: --update"; exit 1; }
"$bench" regress "${common[@]}"
rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: unchanged kernels exited $rc, want 0"; exit 1; }
"$bench" regress "${common[@]}" --slowdown-kernel "$slow" --slowdown 20
rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL: $slow slowed 21x exited $rc, want 1"; exit 1; }
"$bench" regress "${common[@]}" --slowdown-kernel "$slow" --slowdown 20 --report-only
rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: --report-only exited $rc, want 0"; exit 1; }

# A baseline from another CPU model is refused (exit 2) unless
# --allow-other-cpu: pretend the baseline came from family 1 model 1.
sed -e 's/"cpu_family": [0-9-]*/"cpu_family": 1/' \
    -e 's/"cpu_model_number": [0-9-]*/"cpu_model_number": 1/' \
    "$dir/baseline.json" > "$dir/other-cpu.json"
other=("${common[@]}")
other[1]="$dir/other-cpu.json"
"$bench" regress "${other[@]}" > "$dir/out.txt" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q -- --allow-other-cpu "$dir/out.txt" ||
  { cat "$dir/out.txt"; echo "FAIL: other CPU's baseline exited $rc, want 2"; exit 1; }
"$bench" regress "${other[@]}" --allow-other-cpu
rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: --allow-other-cpu exited $rc, want 0"; exit 1; }
echo "PASS: regress exits 0 unchanged, 1 with $slow slowed, 0 with --report-only," \
     "2 on another CPU's baseline, 0 with --allow-other-cpu"
