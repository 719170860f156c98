#!/usr/bin/env bash
# `rsr-bench regress --mode counts` (the CI gate) must pass on an unchanged
# build and fail on a slowed kernel: against a baseline it writes itself
# (i2s and rsrpp at 256x512, 1 token, under valgrind: ~2 s), an identical
# run exits 0, a run with i2s slowed 2x (--slowdown 1: the harness calls it
# twice per call, +100% instructions against a +3% threshold) exits 1, and a
# baseline whose only entry is another compiler's is reported and skipped
# (exit 0). Exit 77 (skipped) without valgrind.
#   tests/regress_counts_test.sh path/to/rsr-bench
set -u
bench=${1:?usage: regress_counts_test.sh path/to/rsr-bench}
command -v valgrind >/dev/null || { echo "SKIP: no valgrind"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
common=(regress --mode counts --kernels i2s,rsrpp --shapes 256x512 --tokens 1)

"$bench" "${common[@]}" --update --baseline "$dir/b.json" ||
  { echo "FAIL: --update"; exit 1; }
"$bench" "${common[@]}" --baseline "$dir/b.json"
rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: unchanged build exited $rc, want 0"; exit 1; }
"$bench" "${common[@]}" --baseline "$dir/b.json" --slowdown-kernel i2s \
  --slowdown 1 > "$dir/slow.txt"
rc=$?
cat "$dir/slow.txt"
[ "$rc" -eq 1 ] || { echo "FAIL: i2s slowed 2x exited $rc, want 1"; exit 1; }
grep -q '^i2s 256x512 N=1 .*REGRESSION' "$dir/slow.txt" &&
  grep -q '^rsrpp 256x512 N=1 .* ok$' "$dir/slow.txt" ||
  { echo "FAIL: the table must blame i2s and only i2s"; exit 1; }
sed 's/"g++ [^"|]*|/"g++ 0.0 |/; s/"clang [^"|]*|/"clang 0.0 |/' \
  "$dir/b.json" > "$dir/other.json"
"$bench" "${common[@]}" --baseline "$dir/other.json" > "$dir/other.txt"
rc=$?
cat "$dir/other.txt"
[ "$rc" -eq 0 ] && grep -q 'Skipped (exit 0)' "$dir/other.txt" ||
  { echo "FAIL: another compiler's baseline exited $rc, want 0 and skipped"; exit 1; }
echo "PASS: counts exit 0 unchanged, 1 with i2s slowed 2x, 0 (skipped) for another compiler"
