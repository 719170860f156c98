#!/usr/bin/env bash
# The layers point one way (README, "Layout"); this fails on an include that
# points the wrong way. Layers, bottom up:
#   include/rsr/     public API: includes only rsr/ headers
#   kernels/core/    toolkit: includes only rsr/ and kernels/core/
#   methods          kernels/rsr/, baselines/<method>/: the toolkit, their own
#                    folder and the shared engines named below; never another
#                    method, library/ or harness/
#   library/         names every method (registry, save/load); never harness/
#   harness/         may include everything below it
# Shared engines (folder: the methods allowed to use it):
shared_engines=("baselines/lut:baselines/tl1 baselines/tl2"
                "baselines/rowpack:baselines/i2s baselines/tq5")
set -uo pipefail
cd "${1:-$(dirname "$0")/..}"

fail=0
violation() { echo "layering: $1: includes \"$2\" ($3)" >&2; fail=1; }

# "file:include" for every project include in a folder (sources and headers).
includes() {
  grep -rHoE '^#include "[^"]+"' --include='*.h' --include='*.cc' "$@" 2>/dev/null |
    sed -E 's/:#include "(.*)"$/:\1/'
}

while IFS=: read -r file inc; do
  [[ "$inc" == rsr/* ]] || violation "$file" "$inc" "public headers include only rsr/"
done < <(includes include/rsr)

while IFS=: read -r file inc; do
  [[ "$inc" == rsr/* || "$inc" == kernels/core/* || "$inc" == hwy/* ]] ||
    violation "$file" "$inc" "kernels/core is the bottom toolkit"
done < <(includes kernels/core)

methods=(kernels/rsr)
for d in baselines/*/; do methods+=("${d%/}"); done
for m in "${methods[@]}"; do
  while IFS=: read -r file inc; do
    case "$inc" in
      rsr/* | kernels/core/* | hwy/* | gtest/* | "$m"/*) continue ;;
      library/* | harness/*) violation "$file" "$inc" "a method never includes the layers above it"; continue ;;
    esac
    allowed=0
    for e in "${shared_engines[@]}"; do
      engine=${e%%:*} users=" ${e#*:} "
      [[ "$inc" == "$engine"/* && ( "$users" == *" $m "* || "$m" == "$engine" ) ]] && allowed=1
    done
    [[ "$inc" == tests/* && "$file" == *_test.cc ]] && allowed=1  # test helpers
    ((allowed)) || violation "$file" "$inc" "one method's folder never includes another's"
  done < <(includes "$m")
done

while IFS=: read -r file inc; do
  [[ "$inc" == harness/* ]] && violation "$file" "$inc" "library/ sits below harness/"
done < <(includes library)

if ((fail)); then exit 1; fi
echo "layering: ok (${#methods[@]} method folders checked)"
