#!/usr/bin/env bash
# README command (2), what CI runs: set up, build, and run every test (ctest; labels unit, golden,
# e2e, slow), then the sanitizer build's tests (scripts/sanitize.sh: ASan+UBSan unit tests, fuzz
# seed replays, CLI e2e cases) and the fuzzing stage (scripts/fuzz.sh: each reader's fixed number
# of inputs from a fixed seed, so a stop's CI checks what was checked before it; set
# CHOP_FUZZ_SECONDS for a random run of that many seconds per reader instead). CHOP_SANITIZE=0 is
# the quick local run (release tests only). With arguments, only the release build's ctest runs.
# Prints each stage's wall time; docs/reliability.md has the measured CI budget.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp() { date +%s; }
t_start=$(stamp)
bash scripts/setup.sh
t_setup=$(stamp)
bash scripts/build.sh
t_build=$(stamp)
if [ $# -gt 0 ]; then
  cd build && exec ctest --output-on-failure -j "${CHOP_JOBS:-2}" "$@"
fi
status=0
(cd build && ctest --output-on-failure -j "${CHOP_JOBS:-2}") || status=1
t_tests=$(stamp)
summary="setup $((t_setup - t_start)) s, release build $((t_build - t_setup)) s"
summary+=", release tests $((t_tests - t_build)) s"
echo "test: $summary"
if [ "${CHOP_SANITIZE:-1}" != "0" ]; then
  bash scripts/sanitize.sh || status=1
  t_san=$(stamp)
  bash scripts/fuzz.sh ${CHOP_FUZZ_SECONDS:+"$CHOP_FUZZ_SECONDS"} || status=1
  t_fuzz=$(stamp)
  summary+=", sanitizer build + tests $((t_san - t_tests)) s, fuzzing $((t_fuzz - t_san)) s"
else
  echo "test: CHOP_SANITIZE=0: sanitizer build and fuzzing skipped"
fi
echo "test: $summary; total $(( $(stamp) - t_start )) s ($( [ $status -eq 0 ] && echo passed || echo FAILED))"
exit $status
