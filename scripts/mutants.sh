#!/usr/bin/env bash
# Planted bugs the test suite must catch (not part of CI's budget: ~1 min per
# mutant on 2 cores, one rebuild each). Each mutant is one sed edit of one
# source file in a scratch copy of the working tree; the script rebuilds
# rsr_tests and rsr-bench there, runs the tests named by the mutant (a gtest
# filter, or ctest:REGEX) and reports it killed (a test failed) or survived
# (all passed). It fails when a mutant survives, when its pattern no longer
# matches the source (a moved or rewritten line: fix the pattern) or when the
# mutated source does not build.
#
#   scripts/mutants.sh              all mutants
#   scripts/mutants.sh i2s tl       only mutants whose name contains a word
#
# RSR_MUTANTS_DIR (default /tmp/rsr-mutants) holds the scratch copy and its
# build, kept between runs so that the next run rebuilds incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scratch=${RSR_MUTANTS_DIR:-/tmp/rsr-mutants}
jobs=${RSR_MUTANTS_JOBS:-$(nproc)}

names=() files=() seds=() filters=()
# mutant NAME FILE GTEST_FILTER SED_EXPRESSION
mutant() { names+=("$1"); files+=("$2"); filters+=("$3"); seds+=("$4"); }

# Filters: every target of one kernel's conformance suite, plus its
# save/load tests (gtest names: '-' becomes '_').
conf() { echo "*/Conformance.*/$1_*:*/Serialize.*/$1"; }
ser() { echo "*/Serialize.*/$1"; }

# --- load validation, one kernel at a time ---------------------------------
mutant i2s-validate-off baselines/i2s/i2s_format.cc "$(ser i2s)" \
  's/^void ValidatePacked(const uint8_t\* packed, size_t rows, size_t cols) {/&\n  if (rows + cols) return;/'
mutant i2s-validate-padding-off baselines/i2s/i2s_format.cc "$(ser i2s)" \
  's/if (((last\[i % kBlockBytes\] >> shift) \& 3) != kZeroCode)/if (false \&\& ((last[i % kBlockBytes] >> shift) \& 3) != kZeroCode)/'
mutant tl1-load-validation-off baselines/lut/lut_kernel.h "$(ser tl1)" \
  's/      if (what) {/      if (what \&\& std::string(Format::kName) != "tl1") {/'
mutant tl2-load-validation-off baselines/lut/lut_kernel.h "$(ser tl2)" \
  's/      if (what) {/      if (what \&\& std::string(Format::kName) != "tl2") {/'
mutant tl-padding-column-check-off baselines/lut/lut_kernel.h "$(ser tl1):$(ser tl2)" \
  's/if ((row >= rows || col + i >= cols) \&\& Format::Decode/if ((row >= rows) \&\& Format::Decode/'
mutant tl1-index-check-off baselines/tl1/tl1.cc "$(ser tl1)" \
  's/return Index(blk, r, g) > 8 ? "index above 8" : nullptr;/return Index(blk, r, g) > 8 \&\& false ? "index above 8" : nullptr;/'
mutant tl2-magnitude-check-off baselines/tl2/tl2.cc "$(ser tl2)" \
  's/if (Magnitude(blk, r, g) > 13) return "magnitude above 13";//'
mutant tl2-zero-sign-check-off baselines/tl2/tl2.cc "$(ser tl2)" \
  's/if (Negative(blk, r, g) \&\& Magnitude(blk, r, g) == 0)/if (false)/'
mutant rsrpp-simd-index-validation-off kernels/rsr/rsr_index.cc "$(ser rsrpp_simd)" \
  's/^  ValidateAs(ix, "file");/  if (what.find("rsrpp-simd") == std::string::npos) ValidateAs(ix, "file");/'
mutant rsrpp-simd-canonical-check-off kernels/rsr/rsr_index.cc "$(ser rsrpp_simd)" \
  's/^  ValidateCanonicalAs(ix, "file");/  if (what.find("rsrpp-simd") == std::string::npos) ValidateCanonicalAs(ix, "file");/'
mutant rsrpp-simd-minus-one-check-off kernels/rsr/rsrpp_simd.cc "$(ser rsrpp_simd)" \
  's/if (ix.form == CodeForm::kBase3 \&\& !rsr_index::HasMinusOne(ix))/if (false)/'
mutant rsr-index-bijection-off kernels/rsr/rsr_index.cc "$(ser rsr):$(ser rsrpp)" \
  's/      if (seen\[j\]++)/      if (seen[j]++ \&\& false)/'
mutant rsr-index-ascending-off kernels/rsr/rsr_index.cc "$(ser rsr):$(ser rsrpp)" \
  's/if (ix.PermAt(b, p) <= ix.PermAt(b, p - 1))/if (false \&\& ix.PermAt(b, p) <= ix.PermAt(b, p - 1))/'
mutant rsr-planes-check-off kernels/rsr/rsr_scalar.cc "$(ser rsr):$(ser rsrpp)" \
  's/if (code\[neg.PermAt(b, p)\] \& c)/if (false)/'
mutant dense-naive-validate-off baselines/dense/dense_naive.cc "$(ser dense_naive)" \
  's/if (v < -1 || v > 1) throw/if (v < -2 || v > 2) throw/'
mutant dense-f32-padding-check-off baselines/dense/dense_f32.cc "$(ser dense_f32)" \
  's/((v == 1.0f || v == -1.0f) \&\& c < cols)/(v == 1.0f || v == -1.0f)/'
mutant header-reserved-check-off library/serialize.cc "$(ser i2s)" \
  's/if (h.reserved0\[0\] || h.reserved0\[1\] || h.reserved0\[2\] || h.reserved1)/if (false)/'
mutant header-name-padding-check-off library/serialize.cc "$(ser tl2)" \
  "s/if (h.kernel\[i\] != '\\\\0')/if (false)/"
mutant header-scale-check-off library/serialize.cc "$(ser rsr)" \
  's/if (!std::isfinite(h.weight_scale) || !(h.weight_scale > 0.0f))/if (false)/'

# --- tail paths -------------------------------------------------------------
# rsrpp-simd GEMV (int8, 1 token): the running prefix restarted at each
# 1024-column chunk (only K > 1024 sees it), the column tail of a chunk, the
# last bucket of a block; the token-tiled Gemm's column tail.
mutant rsrpp-simd-gemv-chunk-carry kernels/rsr/rsrpp_gemv-inl.h "$(conf rsrpp_simd):*RsrppSimdDecode*" \
  's/    chunk_prefix\[0\] = run;/    chunk_prefix[0] = run = 0;/'
mutant rsrpp-simd-gemv-chunk-tail kernels/rsr/rsrpp_gemv-inl.h "$(conf rsrpp_simd)" \
  's/for (; p < end; ++p) chunk_prefix\[p + 1 - base\] = run += x\[perm\[p\]\];/for (; p + 1 < end; ++p) chunk_prefix[p + 1 - base] = run += x[perm[p]];/'
mutant rsrpp-simd-gemv-last-bucket kernels/rsr/rsrpp_gemv-inl.h "$(conf rsrpp_simd)" \
  's/for (; c < buckets \&\& off\[c + 1\] <= end; ++c)/for (; c < buckets \&\& off[c + 1] < end; ++c)/'
mutant rsrpp-simd-gemm-column-tail kernels/rsr/rsrpp_gemm-inl.h "$(conf rsrpp_simd)" \
  's/^  for (; p < K; ++p) {$/  for (; p + 1 < K; ++p) {/'
mutant i2s-tail-drops-last-column baselines/i2s/i2s.cc "$(conf i2s)" \
  's/const size_t n = k < K ? std::min(seg, K - k) : 0;/const size_t n = k + 1 < K ? std::min(seg, K - k - 1) : 0;/'
mutant i2s-tail-scratch-not-zero baselines/i2s/i2s.cc "$(conf i2s)" \
  's/if (n < seg) std::memset(dst + n, 0, seg - n);/if (n < seg) std::memset(dst + n, 1, seg - n);/'
mutant tl-tail-drops-last-activation baselines/lut/lut-inl.h "$(conf tl1):$(conf tl2)" \
  's/for (size_t j = 0; j < 8; ++j) tail\[j\] = c + j < K ? q\[c + j\] : 0;/for (size_t j = 0; j < 8; ++j) tail[j] = c + j + 1 < K ? q[c + j] : 0;/'
mutant dense-f32-column-tail baselines/dense/dense_f32.cc "$(conf dense_f32)" \
  's/for (size_t k = k_vec; k < K; ++k) s\[i\] += rows\[i\]\[k\] \* xt\[k\];/for (size_t k = k_vec; k + 1 < K; ++k) s[i] += rows[i][k] * xt[k];/'
mutant rsr-last-block-rows kernels/rsr/rsr_scalar.cc "$(conf rsr):$(conf rsrpp)" \
  's/if (r < pos_.rows) emit(r, static_cast<T>(rp\[t\] - rn\[t\]));/if (r + 1 < pos_.rows) emit(r, static_cast<T>(rp[t] - rn[t]));/'

# --- index builders ---------------------------------------------------------
mutant index-binary-code kernels/rsr/rsr_index.cc "$(conf rsr):$(conf rsrpp)" \
  's/c = (c << 1) | (v == plane_value ? 1u : 0u);/c = (c << 1) | (v != 0 \&\& plane_value != 0 ? 1u : 0u);/'
mutant index-base3-code kernels/rsr/rsr_index.cc "$(conf rsrpp_simd)" \
  's/c = c \* 3 + static_cast<uint32_t>(v + 1);/c = c * 3 + static_cast<uint32_t>(1 - v);/'
mutant index-padding-rows kernels/rsr/rsr_index.cc "$(ser rsrpp_simd):$(ser rsr)" \
  's/const int v = wr ? wr\[j\] : 0;/const int v = wr ? wr[j] : 1;/'
mutant paper-index-code harness/paper/paper_rsr.cc "PaperRsr.*" \
  's/const int bit = col < index.n_cols ? a\[j\]\[col\] : 0;/const int bit = col + 1 < index.n_cols ? a[j][col] : 0;/'

# --- quantizer rounding -----------------------------------------------------
mutant quant-simd-truncates kernels/core/quant.cc "Quant.*" \
  's/hn::Round(hn::Mul(hn::LoadU(d, x + i), vs))/hn::Trunc(hn::Mul(hn::LoadU(d, x + i), vs))/'
mutant quant-tail-rounds-half-away kernels/core/quant.cc "Quant.*" \
  's/std::clamp(std::nearbyint(x\[i\] \* s), -128.0f, 127.0f);/std::clamp(std::round(x[i] * s), -128.0f, 127.0f);/'

# --- rsr-bench regress ------------------------------------------------------
# The comparison that decides a regression never fires (a ctest: the test
# slows one kernel on purpose and expects exit 1).
mutant regress-never-fails harness/cmd_regress.cc "ctest:rsr_bench.regress_detects_slowdown" \
  's/const bool bad = change > o.threshold;/const bool bad = change > o.threshold \&\& false;/'

# ----------------------------------------------------------------------------
selected=()
for i in "${!names[@]}"; do
  if [[ $# -eq 0 ]]; then selected+=("$i"); continue; fi
  for w in "$@"; do
    if [[ ${names[$i]} == *"$w"* ]]; then selected+=("$i"); break; fi
  done
done
[[ ${#selected[@]} -gt 0 ]] || { echo "no mutant matches: $*" >&2; exit 2; }

echo "== scratch copy in $scratch ==" >&2
mkdir -p "$scratch/src"
# The working tree as it is (tracked and untracked, not ignored files).
# Unchanged files keep their time stamps, so the build stays incremental;
# files gone from the tree (moved, deleted) go from the copy too.
git ls-files -co --exclude-standard -z >"$scratch/files"
while IFS= read -r -d '' f; do
  if ! cmp -s "$f" "$scratch/src/$f"; then
    mkdir -p "$scratch/src/$(dirname "$f")"
    cp "$f" "$scratch/src/$f"
  fi
done <"$scratch/files"
(cd "$scratch/src" && find . -path ./build -prune -o -type f -print0) |
  while IFS= read -r -d '' f; do
    f=${f#./}
    grep -qzxF -- "$f" "$scratch/files" || rm -f "$scratch/src/$f"
  done
cd "$scratch/src"
cmake --preset release >/dev/null
build() {
  cmake --build --preset release -j"$jobs" --target rsr_tests rsr-bench >"$scratch/build.log" 2>&1
}
# A gtest filter, or "ctest:REGEX" for the ctest-only tests (shell scripts).
run_tests() {
  if [[ $1 == ctest:* ]]; then
    timeout 600 ctest --preset release -R "${1#ctest:}" --output-on-failure
  else
    timeout 600 "$bin" --gtest_brief=1 --gtest_filter="$1"
  fi
}
build || { echo "the unmutated copy does not build: $scratch/build.log" >&2; exit 1; }
bin=$scratch/src/build/release/bin/rsr_tests

killed=0 survived=0 broken=0
report=()
for i in "${selected[@]}"; do
  name=${names[$i]} file=${files[$i]}
  cp "$root/$file" "$file.orig"
  sed -i "${seds[$i]}" "$file"
  if cmp -s "$file" "$file.orig"; then
    result="BROKEN (pattern not found in $file)"
    broken=$((broken + 1))
  elif ! build; then
    result="BROKEN (does not build; $scratch/build.log)"
    broken=$((broken + 1))
    cp "$scratch/build.log" "$scratch/build-$name.log"
  elif run_tests "${filters[$i]}" >"$scratch/test-$name.log" 2>&1; then
    result="SURVIVED"
    survived=$((survived + 1))
  else
    # --gtest_brief prints one FAILED line per failed test.
    n=$(grep -c '^\[  FAILED  \]\|(Failed)' "$scratch/test-$name.log" || true)
    if [[ $n -gt 0 ]]; then result="killed ($n tests failed)"; else result="killed (crashed)"; fi
    killed=$((killed + 1))
  fi
  # Restore with a new time stamp, so that make rebuilds the file.
  cat "$file.orig" >"$file" && rm "$file.orig"
  printf '%-36s %s\n' "$name" "$result" >&2
  report+=("$(printf '%-36s %s' "$name" "$result")")
done
build || true

echo "== mutants: $killed killed, $survived survived, $broken broken ==" >&2
printf '%s\n' "${report[@]}"
[[ $survived -eq 0 && $broken -eq 0 ]]
