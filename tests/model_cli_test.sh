#!/usr/bin/env bash
# `rsr-bench model` rejects bad arguments with exit code 2 and a message
# naming the argument, before it allocates anything (an unknown model,
# context 0, tokens above the per-call limit, an unknown kernel).
#   tests/model_cli_test.sh path/to/rsr-bench
set -u
bench=${1:?usage: model_cli_test.sh path/to/rsr-bench}
err="${TMPDIR:-/tmp}/model_cli_err.$$"
check() {  # check <argument named in the message> <args...>
  local want=$1
  shift
  "$bench" model "$@" >/dev/null 2>"$err"
  local rc=$?
  if [[ $rc != 2 ]] || ! grep -q "$want" "$err"; then
    echo "FAIL: rsr-bench model $* exited $rc (want 2 naming '$want'):"
    cat "$err"
    rm -f "$err"
    exit 1
  fi
}
check "model" --model gpt-5
check "context" --context 0
check "context" --context 128,0
check "context" --context 100000
check "tokens" --tokens 1,4097
check "tokens" --tokens 0
check "threads" --threads 0
check "kernels" --kernels i2s,nope
check "target" --target avx9
rm -f "$err"
echo "ok"
