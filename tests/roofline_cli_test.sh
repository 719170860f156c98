#!/usr/bin/env bash
# `rsr-bench roofline` writes one row per op x target x thread count (the
# clock once per thread count); `run --roofline --bandwidth` adds the roof
# fractions to every SIMD record; unreadable roof files exit 2 with a message.
#   tests/roofline_cli_test.sh path/to/rsr-bench
set -u
bench=${1:?usage: roofline_cli_test.sh path/to/rsr-bench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$bench" roofline --threads 1 --target all --reps 1 --min-sample-ms 1 \
  --format csv --out "$tmp/roof.csv" 2>/dev/null || fail "roofline exited $?"
ntargets=$(grep -c '^int8_dot,' "$tmp/roof.csv")
[[ $ntargets -ge 1 ]] || fail "no int8_dot rows"
for op in int16_add byte_shuffle f32_fma; do
  [[ $(grep -c "^$op," "$tmp/roof.csv") == "$ntargets" ]] ||
    fail "$op rows differ from int8_dot rows"; done
[[ $(grep -c '^clock,' "$tmp/roof.csv") == 1 ]] || fail "expected one clock row"

"$bench" roofline --threads 1 --target best --reps 1 --min-sample-ms 1 \
  --format json --out "$tmp/roof.json" 2>/dev/null || fail "roofline json exited $?"
"$bench" bandwidth --threads 1 --l2-kib 256 --l3-mib 0 --dram-mib 0 --reps 1 \
  --min-sample-ms 1 --format json --out "$tmp/bw.json" 2>/dev/null ||
  fail "bandwidth exited $?"
out=$("$bench" run --kernels i2s,rsr --shapes 64x96 --tokens 1,3 --min-time 0 \
        --roofline "$tmp/roof.json" --bandwidth "$tmp/bw.json" --format csv 2>/dev/null) ||
  fail "run --roofline exited $?"
head=$(head -n 1 <<<"$out")
col() { tr ',' '\n' <<<"$head" | grep -nx "$1" | cut -d: -f1; }
cf=$(col compute_roof_fraction); bf=$(col bandwidth_fraction)
[[ -n $cf && -n $bf ]] || fail "columns missing: $head"
while IFS=, read -r -a f; do
  kernel=${f[0]}
  [[ -n ${f[$((bf - 1))]} ]] || fail "$kernel: no bandwidth_fraction"
  if [[ $kernel == i2s ]]; then
    [[ -n ${f[$((cf - 1))]} ]] || fail "i2s: no compute_roof_fraction"
  else
    [[ -z ${f[$((cf - 1))]} ]] || fail "$kernel (scalar): unexpected compute roof"
  fi
done < <(tail -n +2 <<<"$out")

# A record matched to a probe (L2 or DRAM) gets its fraction from kernel
# windows paired with windows of that probe (a 1 MiB "DRAM" level keeps the
# test fast): the median of the pair ratios, within their range, against
# probe figures measured here (the file's 1e-6 GB/s is kept apart).
cat > "$tmp/bw_dram.json" <<'JSON'
{"results": [{"level": "L2", "mib": 0.015625, "gbps": 1e-6, "threads": 1},
             {"level": "DRAM", "mib": 1, "gbps": 1e-6, "threads": 1}]}
JSON
out=$("$bench" run --kernels i2s --shapes 64x96,256x1024 --min-time 0 \
        --bandwidth "$tmp/bw_dram.json" --format json 2>/dev/null) ||
  fail "run with a DRAM level exited $?"
/usr/bin/python3 - "$out" <<'PY' || fail "paired probes"
import json, sys
recs = {r["m"]: r for r in json.loads(sys.argv[1])["results"]}
small, big = recs[64], recs[256]  # 1.6 KB (L2 level), 64 KB (DRAM level)
for r, level in ((small, "L2"), (big, "DRAM")):
  assert r["bandwidth_roof_level"] == level, r
  assert r["bandwidth_pairs"] == 5 and r["bandwidth_roof_gbps_file"] == 1e-6, r
  assert r["bandwidth_roof_gbps"] > 1e-3, r  # measured, not the file's
  f, lo, hi = (r["bandwidth_fraction" + s] for s in ("", "_min", "_max"))
  assert 0 < lo <= f <= hi < 1e3, r  # not kernel / 1e-6 GB/s
PY

echo '{"results": 1}' > "$tmp/bad.json"
for flag in --roofline --bandwidth; do
  "$bench" run --kernels i2s --shapes 8x8 --min-time 0 "$flag" "$tmp/bad.json" \
    >/dev/null 2>"$tmp/err"
  rc=$?
  [[ $rc == 2 ]] && grep -q 'results' "$tmp/err" ||
    { cat "$tmp/err"; fail "$flag with a malformed file exited $rc"; }
done
"$bench" roofline --ops int4_dot >/dev/null 2>"$tmp/err"
[[ $? == 2 ]] && grep -q 'int4_dot' "$tmp/err" || fail "unknown op not refused"
echo "ok"
