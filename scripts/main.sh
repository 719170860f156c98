#!/usr/bin/env bash
# The README's main command: installs what is missing, builds Release, checks
# every kernel against the reference, runs the default comparison on this
# machine and writes results/<machine-id>/ and plots/<machine-id>/.
#
# Default comparison (2-4 minutes on an idle 2-core Zen 4):
#   verify    every kernel x every SIMD target against the reference
#   bandwidth read-bandwidth roofline, 1 and 2 threads (L2, L3, DRAM at 64 MiB --
#             the size of a 16384^2 I2_S matrix, partly L3-served --, 256 MiB,
#             a 32768^2 one, and 512 MiB); each run record is divided by the
#             smallest probe that holds its weights (bandwidth_fraction)
#   roofline  compute roof: peak int8 dot / int16 add / byte shuffle / f32 FMA
#             rates per SIMD target, 1 and 2 threads, and the core clock; each
#             run record is divided by its method's roof (compute_roof_fraction)
#   run       all kernels, square 2^10..2^15 and BitNet-2B shapes, 1 token,
#             1 and 2 threads; scalar kernels (dense-naive, rsr, rsrpp) only up
#             to 8192^2 (--slow-max-weights 2^26), where they take ~1 s a call
#   tokens    SIMD kernels at N = 8, 32, 128, 512 tokens on 2560x2560, 6912x2560,
#             2560x6912, 1 and 2 threads (prefill; the verdict per N)
#   targets   every kernel on every SIMD target here (same shapes, 1 token), and
#             the SIMD kernels at N = 128 on 6912x2560 (targets-prefill.json):
#             how the prefill order changes without VNNI or AVX-512
#   paper     the paper's tables, faithful (-O0, the authors' protocol: one
#             process per method and size, 10 runs) and modern (-O3), n = 2^11..2^13
#             (rsr-bench paper's default sizes; ~20 s)
#   model     whole bitnet-2b decoder layers per SIMD kernel (not the scalar
#             rsr, rsrpp, dense-naive: 0.2-1.1 s a layer at 16 tokens, ~8x
#             that at 128), contexts 128 and 4096,
#             decode and a 128-token prefill, 1 and 2 threads: per-operation
#             breakdown, projection share f, Amdahl bound, tokens/s (~1.5 min)
#   regress   this machine's timing baseline for `rsr-bench regress` (~15 s)
#   plots     figures and Markdown tables from the JSON above
# Environment: RSR_MIN_TIME (seconds per case, default 0.3),
#   RSR_QUICK=1 (small sizes only: a smoke run in about a minute),
#   RSR_PAPER_FULL=1 (paper tables up to n = 2^15: about 8 more minutes;
#   the naive loop alone takes ~29 s per run there).
set -euo pipefail
cd "$(dirname "$0")/.."

RSR_SETUP_CROSS=${RSR_SETUP_CROSS:-0} bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target rsr-bench
bench=build/release/bin/rsr-bench

id=$($bench info --id)
out=results/$id
figs=plots/$id
mkdir -p "$out" "$figs"
load=$(cut -d' ' -f1 /proc/loadavg)
echo "== machine $id; load average $load ==" >&2
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
  echo "warning: the machine is not idle (load $load); timings will be noisy" >&2
fi
$bench info > "$out/machine.json"

min_time=${RSR_MIN_TIME:-0.3}
if [[ "${RSR_QUICK:-0}" == 1 ]]; then
  square=1024x1024,2048x2048; models=2560x2560; tok_shapes=2560x2560
  paper_sizes=(--sizes 2048); dram=128; tok_tokens=8,32
  model_kernels=i2s,tl2,dense-f32; model_tokens=1,16
  tgt_shape=2560x2560; tgt_tokens=32
else
  square=square; models=bitnet-2b; tok_shapes=2560x2560,6912x2560,2560x6912
  paper_sizes=(); dram=64,256,512; tok_tokens=8,32,128,512
  model_kernels=rsrpp-simd,i2s,tq5,tl1,tl2,dense-f32; model_tokens=1,128
  tgt_shape=6912x2560; tgt_tokens=128
fi
if [[ "${RSR_PAPER_FULL:-0}" == 1 ]]; then
  paper_sizes=(--sizes 2048,4096,8192,16384,32768)
fi

echo "== verify: every kernel x every target against the reference ==" >&2
if ! $bench verify --kernels all --shapes 1x1,17x33,1000x999,3200x8640 --tokens 1,3 \
       --threads 2 --target all > "$out/verify.txt"; then
  grep -E "FAIL|failed" "$out/verify.txt" >&2
  exit 1
fi
tail -n 1 "$out/verify.txt" >&2

echo "== bandwidth: the roofline ==" >&2
$bench bandwidth --threads 1,2 --dram-mib "$dram" --format json --out "$out/bandwidth.json"

echo "== roofline: the compute roof ==" >&2
$bench roofline --threads 1,2 --target all --format json --out "$out/roofline.json"
roofs=(--roofline "$out/roofline.json" --bandwidth "$out/bandwidth.json")

echo "== run: default comparison ==" >&2
$bench run --kernels all --shapes "$square,$models" --tokens 1 --threads 1,2 \
  --min-time "$min_time" "${roofs[@]}" --format json --out "$out/run.json" \
  --csv "$out/run.csv"

echo "== tokens: multi-token (prefill) ==" >&2
$bench run --kernels rsrpp-simd,i2s,tq5,tl1,tl2,dense-f32 --shapes "$tok_shapes" \
  --tokens "$tok_tokens" --threads 1,2 --min-time "$min_time" "${roofs[@]}" \
  --format json --out "$out/tokens.json" --csv "$out/tokens.csv"

echo "== targets: every kernel on every SIMD target here ==" >&2
$bench run --kernels all --shapes "$tok_shapes" --tokens 1 --threads 1 --target all \
  --min-time "$min_time" "${roofs[@]}" --format json --out "$out/targets.json" \
  --csv "$out/targets.csv"

echo "== targets: prefill (N = 128) on every SIMD target here ==" >&2
$bench run --kernels rsrpp-simd,i2s,tq5,tl1,tl2,dense-f32 --shapes "$tgt_shape" \
  --tokens "$tgt_tokens" --threads 1 --target all --min-time "$min_time" "${roofs[@]}" \
  --format json --out "$out/targets-prefill.json"

echo "== paper: the paper's tables, faithful and modern ==" >&2
$bench paper "${paper_sizes[@]}" --format json --out "$out/paper.json"

echo "== model: whole bitnet-2b decoder layers, Amdahl's law ==" >&2
$bench model --model bitnet-2b --kernels "$model_kernels" --context 128,4096 \
  --tokens "$model_tokens" --threads 1,2 --min-time "$min_time" \
  --format json --out "$out/model.json"

echo "== regress: this machine's timing baseline ==" >&2
$bench regress --update --baseline "$out/baseline.json" > /dev/null

echo "== plots ==" >&2
/usr/bin/python3 plots/plot.py --results "$out" --out "$figs"
echo "results in $out, figures in $figs" >&2
