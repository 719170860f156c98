#!/usr/bin/env bash
# rsr-bench run estimates a case's memory before generating its matrix and
# skips what does not fit, with the reason recorded: with --max-memory-mib 64
# an 8192x8192 case (64 MiB of int8 weights alone) is skipped for every kernel
# while a 64x64 case runs; and peak prepare / scratch bytes are recorded.
set -euo pipefail
bench=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
start=$SECONDS
"$bench" run --kernels dense-f32,i2s --shapes 8192x8192,64x64 --max-memory-mib 64 \
  --min-time 0.01 --format json --out "$out" 2>/dev/null
/usr/bin/python3 - "$out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
skipped = doc["skipped"]
for k in ("dense-f32", "i2s"):
    assert any(s.startswith(k + " 8192x8192: needs about") and "available" in s
               for s in skipped), (k, skipped)
runs = [(r["kernel"], r["m"]) for r in doc["results"]]
assert sorted(runs) == [("dense-f32", 64), ("i2s", 64)], runs
for r in doc["results"]:
    # null in sanitizer builds, which keep their own allocator
    if r["prepare_peak_bytes"] is not None:
        assert r["prepare_peak_bytes"] >= r["prepared_bytes"] > 0, r
        assert r["scratch_bytes"] >= 0, r
print("memory cli: ok", skipped)
PY
# Skipping must not have generated the 8192^2 matrix (~1 s): well under 5 s.
(( SECONDS - start < 5 )) || { echo "took $((SECONDS - start)) s" >&2; exit 1; }
