#!/usr/bin/env bash
# The sanitizer build: configures ./build-asan with clang (AddressSanitizer + UndefinedBehavior-
# Sanitizer on every chop target, libFuzzer coverage, the fuzz target), builds the chop binary,
# every area's unit tests and the e2e binaries of tests/CMakeLists.txt, and runs under the
# sanitizers: all unit tests, the fuzz-corpus replays, and the e2e cases of CHOP_SANITIZE_E2E
# (must-fail CLI tests, transform and search runs of the sanitized chop). Any report fails the
# test that caused it. Extra arguments replace the ctest selection (e.g. -R Checkpoint).
# CI runs it from scripts/test.sh; docs/reliability.md has its measured time.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${CHOP_JOBS:-2}"
CC_BIN="$(command -v clang-14 || command -v clang)"
CXX_BIN="$(command -v clang++-14 || command -v clang++)"
# The e2e cases that run the sanitized chop binary: the hardening probe's must-fail tests, CLI
# error paths, transform, search (samplers, resume, interrupt) and ONNX import / inference.
E2E_CASES="${CHOP_SANITIZE_E2E:-^(Hardening|CliErrors|CliTransform|CliSearch|CliInfer)\.}"
t0=$(date +%s)
if [ ! -f build-asan/CMakeCache.txt ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$CC_BIN" \
    -DCMAKE_CXX_COMPILER="$CXX_BIN" -DCHOP_SANITIZE=ON -DCHOP_FUZZ=ON >/dev/null
fi
cmake --build build-asan -j "$JOBS" --target chop chop_sanitize_tests chop_fuzz
t1=$(date +%s)
echo "sanitize: build $((t1 - t0)) s"
# shellcheck source=scripts/sanitizer_env.sh
source scripts/sanitizer_env.sh
cd build-asan
status=0
if [ $# -gt 0 ]; then
  ctest --output-on-failure -j "$JOBS" "$@" || status=1
  t2=$(date +%s)
  echo "sanitize: tests $((t2 - t1)) s"
  exit $status
fi
ctest --output-on-failure -j "$JOBS" -L 'unit|fuzz' || status=1
t2=$(date +%s)
echo "sanitize: unit + fuzz-corpus tests $((t2 - t1)) s"
ctest --output-on-failure -j "$JOBS" -L e2e -R "$E2E_CASES" || status=1
t3=$(date +%s)
echo "sanitize: e2e tests $((t3 - t2)) s"
echo "sanitize: build $((t1 - t0)) s, tests $((t3 - t1)) s"
exit $status
