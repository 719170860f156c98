#!/usr/bin/env bash
# `rsr-bench bandwidth --dram-mib` takes a comma list (one DRAM row per size
# and thread count), 0 skips DRAM, and bad lists exit 2 with a message.
#   tests/bandwidth_cli_test.sh path/to/rsr-bench
set -u
bench=${1:?usage: bandwidth_cli_test.sh path/to/rsr-bench}
fast=(--l2-kib 0 --l3-mib 0 --threads 1 --reps 1 --min-sample-ms 1 --format csv)
out=$("$bench" bandwidth "${fast[@]}" --dram-mib 4,8 2>/dev/null) ||
  { echo "FAIL: --dram-mib 4,8 exited $?"; exit 1; }
rows=$(grep -c '^DRAM,' <<<"$out")
[[ $rows == 2 ]] || { echo "FAIL: expected 2 DRAM rows, got $rows:"; echo "$out"; exit 1; }
for bad in "0" "4,x" "4,,0" "-1"; do
  "$bench" bandwidth "${fast[@]}" --dram-mib "$bad" >/dev/null 2>"${TMPDIR:-/tmp}/bw_err.$$"
  rc=$?
  if [[ $rc != 2 ]] || ! grep -q 'dram-mib' "${TMPDIR:-/tmp}/bw_err.$$"; then
    echo "FAIL: --dram-mib '$bad' exited $rc:"; cat "${TMPDIR:-/tmp}/bw_err.$$"; exit 1
  fi
done
rm -f "${TMPDIR:-/tmp}/bw_err.$$"
echo "ok"
