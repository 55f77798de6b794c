#!/usr/bin/env bash
# README command (2): set up, build, and run every test (ctest; labels unit, golden, e2e, slow).
# With CHOP_SANITIZE=1 also the sanitizer build's tests (scripts/sanitize.sh) and a bounded
# fuzzing run of every file reader (scripts/fuzz.sh, CHOP_FUZZ_SECONDS each, default 30): not yet
# on by default, its CI time is unmeasured (docs/reliability.md). With arguments, only the normal
# build's ctest runs, with those arguments (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
if [ $# -gt 0 ]; then
  cd build && exec ctest --output-on-failure -j "${CHOP_JOBS:-2}" "$@"
fi
t0=$(date +%s)
(cd build && ctest --output-on-failure -j "${CHOP_JOBS:-2}")
t1=$(date +%s)
echo "test: release tests $((t1 - t0)) s"
if [ "${CHOP_SANITIZE:-0}" != "0" ]; then
  bash scripts/sanitize.sh
  t2=$(date +%s)
  bash scripts/fuzz.sh "${CHOP_FUZZ_SECONDS:-30}"
  t3=$(date +%s)
  echo "test: sanitizer build + tests $((t2 - t1)) s, fuzzing $((t3 - t2)) s"
fi
