#!/usr/bin/env bash
# `rsr-bench paper` starts one `paper-process` per method and size and every
# method gives the exact product; bad sizes, k and methods exit 2 naming the
# argument.
#   tests/paper_cli_test.sh path/to/rsr-bench
set -u
bench=${1:?usage: paper_cli_test.sh path/to/rsr-bench}
err=${TMPDIR:-/tmp}/paper_err.$$
trap 'rm -f "$err"' EXIT
out=$("$bench" paper --sizes 64,100 --tables faithful --runs 2 --format json 2>"$err") ||
  { echo "FAIL: paper --sizes 64,100 exited $?"; cat "$err"; exit 1; }
for method in naive rsr rsrpp rsr-lean rsrpp-lean; do
  got=$(grep -c "\"method\": \"$method\"" <<<"$out")
  [[ $got == 2 ]] || { echo "FAIL: $got processes for $method, expected 2"; exit 1; }
done
exact=$(grep -c '"exact": true' <<<"$out")
[[ $exact == 12 ]] || { echo "FAIL: $exact exact flags true, expected 12"; exit 1; }
check_bad() {  # expected argument name, then the command's arguments
  local name=$1; shift
  "$bench" "$@" >/dev/null 2>"$err"
  local rc=$?
  if [[ $rc != 2 ]] || ! grep -q "$name" "$err"; then
    echo "FAIL: '$*' exited $rc (want 2, naming $name):"; cat "$err"; exit 1
  fi
}
for bad in 0 8 65536 x; do
  check_bad sizes paper --sizes "$bad" --tables faithful
done
check_bad k paper --sizes 64 --k 13 --tables faithful
check_bad runs paper --sizes 64 --runs 0 --tables faithful
check_bad method paper-process --method dense --n 64
check_bad sizes paper-process --method naive --n 0
echo "ok"
