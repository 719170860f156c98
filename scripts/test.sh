#!/usr/bin/env bash
# The README's test command (and what CI runs): installs what is missing, then
#   1. native   Release build with -Werror, the whole suite under ctest
#               (conformance: every kernel x every x86 SIMD target here)
#   2. install  `cmake --install` of the native build into build/install, then
#               examples/gemv configured and built against the installed
#               package (find_package(rsr CONFIG)) and run
#   3. aarch64  cross build, the suite under qemu-user once per emulated CPU:
#               cortex-a72 (NEON), a64fx (SVE), max (SVE2); reduced shapes
#   4. asan     ASan + UBSan build, the whole native suite
#   5. fuzz     libFuzzer (clang): the file loader and the differential check,
#               RSR_FUZZ_SECONDS each (default 20) from the committed corpus
# RSR_TEST_PARTS selects parts (default "native install aarch64 asan fuzz");
# RSR_TEST_JOBS sets ctest parallelism (default: number of cores).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
jobs=$(nproc)
parts=" ${RSR_TEST_PARTS:-native install aarch64 asan fuzz} "
want() { [[ "$parts" == *" $1 "* ]]; }
start=$SECONDS
stamp() { echo "== $1 done at +$((SECONDS - start)) s ==" >&2; }

if want native; then
  echo "== native (Release, -Werror) ==" >&2
  cmake --preset release >/dev/null
  cmake --build --preset release -j"$jobs"
  ctest --preset release -j"${RSR_TEST_JOBS:-$jobs}"
  stamp native
fi

if want install; then
  echo "== install (package + examples/gemv against it) ==" >&2
  cmake --preset release >/dev/null
  cmake --build --preset release -j"$jobs" --target rsr
  rm -rf build/install build/example
  cmake --install build/release --prefix build/install >/dev/null
  cmake -S examples/gemv -B build/example -DCMAKE_PREFIX_PATH="$PWD/build/install" \
    -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build/example -j"$jobs"
  build/example/gemv
  stamp install
fi

if want aarch64; then
  if ! command -v aarch64-linux-gnu-g++ >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
    echo "== aarch64: skipped (no aarch64-linux-gnu-g++ / qemu-aarch64; RSR_SETUP_CROSS=0?) ==" >&2
  else
    echo "== aarch64 cross (qemu-user: NEON, SVE, SVE2) ==" >&2
    cmake --preset aarch64 >/dev/null
    cmake --build --preset aarch64 -j"$jobs" --target rsr_tests
    ctest --preset aarch64 -j"${RSR_TEST_JOBS:-$jobs}"
    stamp aarch64
  fi
fi

if want asan; then
  echo "== asan (ASan + UBSan) ==" >&2
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j"$jobs" --target rsr_tests rsr-bench
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --preset asan -j"${RSR_TEST_JOBS:-$jobs}"
  stamp asan
fi

if want fuzz; then
  RSR_FUZZ_SECONDS=${RSR_FUZZ_SECONDS:-20} bash scripts/fuzz.sh
  stamp fuzz
fi
