#!/usr/bin/env bash
# Fuzzes every file reader (fuzz/readers.cpp), two at a time, starting from the committed seeds
# (fuzz/corpus/<reader>); findings go to build-asan/fuzz/findings/<reader>. Exit 1 on any crash,
# sanitizer report, untyped exception, allocation over 512 MiB (readers must refuse first: the
# harness sets CHOP_MAX_MEMORY_MB=256) or input that takes longer than 10 s. Two modes:
#   bash scripts/fuzz.sh                  # CI: each reader's ci_runs inputs with libFuzzer seed
#                                         #   CHOP_FUZZ_SEED (1), from the seeds only: the same
#                                         #   build checks the same inputs on every machine
#   bash scripts/fuzz.sh 3600             # an hour per reader, random seed (printed), the new
#   bash scripts/fuzz.sh 600 hdf5 npy     #   inputs kept in build-asan/fuzz/<reader> across runs
# Needs the sanitizer build (bash scripts/sanitize.sh, or its configure + build step).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-}"
shift || true
FUZZ=build-asan/chop_fuzz
if [ ! -x "$FUZZ" ]; then
  echo "fuzz: $FUZZ is missing; run bash scripts/sanitize.sh first" >&2
  exit 2
fi
# shellcheck source=scripts/sanitizer_env.sh
source scripts/sanitizer_env.sh
declare -A ci_runs=()
while read -r name runs _; do ci_runs[$name]=$runs; done \
  < <(CHOP_FUZZ_LIST=1 CHOP_FUZZ_READER=list "$FUZZ" 2>/dev/null)
readers=("$@")
if [ ${#readers[@]} -eq 0 ]; then
  mapfile -t readers < <(printf '%s\n' "${!ci_runs[@]}" | sort)
fi
WORK=build-asan/fuzz
mkdir -p "$WORK/findings"
run_one() {
  local r="$1" budget corpus
  local seeds="fuzz/corpus/$r"
  [ -d "$seeds" ] || seeds=""
  if [ -z "$SECONDS_EACH" ]; then
    # Reproducible: a fresh corpus folder, so nothing from an earlier run changes what is tried;
    # the time cap only guards against a machine far slower than the build machine.
    corpus="$WORK/ci/$r"
    rm -rf "$corpus"
    budget=(-seed="${CHOP_FUZZ_SEED:-1}" -runs="${ci_runs[$r]:-20000}" -max_total_time=600)
  else
    corpus="$WORK/$r"
    budget=(-seed="$(( $(date +%s%N) % 2147483647 + 1 ))" -max_total_time="$SECONDS_EACH")
  fi
  mkdir -p "$corpus" "$WORK/findings/$r"
  local t0=$SECONDS
  if CHOP_FUZZ_READER="$r" "$FUZZ" "${budget[@]}" -rss_limit_mb=2048 -malloc_limit_mb=512 \
      -timeout=10 -max_len=65536 -print_final_stats=1 -artifact_prefix="$WORK/findings/$r/" \
      "$corpus" $seeds >"$WORK/$r.log" 2>&1; then
    echo "fuzz $r: ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$WORK/$r.log" \
      | awk '{print $2}' | tail -n 1) inputs in $((SECONDS - t0)) s, ${budget[0]})"
  else
    echo "fuzz $r: FINDING (${budget[0]}; log: $WORK/$r.log, input: $WORK/findings/$r/)"
    grep -m 5 -E "ERROR|finding|runtime error|SUMMARY" "$WORK/$r.log" || tail -n 20 "$WORK/$r.log"
    return 1
  fi
}
status=0
pids=()
for r in "${readers[@]}"; do
  if [ -z "${ci_runs[$r]:-}" ]; then
    echo "fuzz: unknown reader '$r' (readers: ${!ci_runs[*]})" >&2
    exit 2
  fi
  run_one "$r" & pids+=($!)
  if [ ${#pids[@]} -ge "${CHOP_JOBS:-2}" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
