#!/usr/bin/env bash
# Fuzzes every file reader (fuzz/readers.cpp) for SECONDS each, two at a time, starting from the
# committed seeds (fuzz/corpus/<reader>); new inputs go to build-asan/fuzz/<reader>, findings to
# build-asan/fuzz/findings/<reader>. Exit 1 on any crash, sanitizer report, untyped exception,
# allocation over 512 MiB (readers must refuse first: the harness sets CHOP_MAX_MEMORY_MB=256) or
# input that takes longer than 10 s.
#   bash scripts/fuzz.sh            # 30 s per reader (CI)
#   bash scripts/fuzz.sh 3600       # an hour per reader
#   bash scripts/fuzz.sh 600 hdf5 npy
# Needs the sanitizer build (bash scripts/sanitize.sh, or its configure + build step).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-30}"
shift || true
FUZZ=build-asan/chop_fuzz
if [ ! -x "$FUZZ" ]; then
  echo "fuzz: $FUZZ is missing; run bash scripts/sanitize.sh first" >&2
  exit 2
fi
# shellcheck source=scripts/sanitizer_env.sh
source scripts/sanitizer_env.sh
readers=("$@")
if [ ${#readers[@]} -eq 0 ]; then
  mapfile -t readers < <(CHOP_FUZZ_LIST=1 CHOP_FUZZ_READER=list "$FUZZ" 2>/dev/null | awk '{print $1}')
fi
WORK=build-asan/fuzz
mkdir -p "$WORK/findings"
run_one() {
  local r="$1"
  mkdir -p "$WORK/$r" "$WORK/findings/$r"
  local seeds="fuzz/corpus/$r"
  [ -d "$seeds" ] || seeds=""
  if CHOP_FUZZ_READER="$r" "$FUZZ" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 \
      -malloc_limit_mb=512 -timeout=10 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$WORK/findings/$r/" "$WORK/$r" $seeds >"$WORK/$r.log" 2>&1; then
    echo "fuzz $r: ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$WORK/$r.log" | awk '{print $2}') inputs in ${SECONDS_EACH} s)"
  else
    echo "fuzz $r: FINDING (log: $WORK/$r.log, input: $WORK/findings/$r/)"
    grep -m 5 -E "ERROR|finding|runtime error|SUMMARY" "$WORK/$r.log" || tail -n 20 "$WORK/$r.log"
    return 1
  fi
}
status=0
pids=()
names=()
for r in "${readers[@]}"; do
  run_one "$r" & pids+=($!); names+=("$r")
  if [ ${#pids[@]} -ge "${CHOP_JOBS:-2}" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}"); names=("${names[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
