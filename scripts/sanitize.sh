#!/usr/bin/env bash
# The sanitizer build: configures ./build-asan with clang (AddressSanitizer + UndefinedBehavior-
# Sanitizer on every chop target, libFuzzer coverage, the fuzz targets), builds the unit tests of
# the areas in CHOP_SANITIZE_TEST_AREAS (core config search graph data passes) and the fuzz
# target, and runs those unit and fuzz-corpus tests under the sanitizers; any report fails the
# test that caused it.
# Extra arguments go to ctest (e.g. -R Checkpoint). CI runs it from scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${CHOP_JOBS:-2}"
CC_BIN="$(command -v clang-14 || command -v clang)"
CXX_BIN="$(command -v clang++-14 || command -v clang++)"
if [ ! -f build-asan/CMakeCache.txt ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$CC_BIN" \
    -DCMAKE_CXX_COMPILER="$CXX_BIN" -DCHOP_SANITIZE=ON -DCHOP_FUZZ=ON
fi
t0=$(date +%s)
# Only the unit tests of CHOP_SANITIZE_TEST_AREAS and the fuzz targets: the whole project under
# ASan takes too long for CI's 90 minutes on 2 cores (docs/reliability.md).
cmake --build build-asan -j "$JOBS" --target chop_sanitize_tests chop_fuzz
t1=$(date +%s)
# shellcheck source=scripts/sanitizer_env.sh
source scripts/sanitizer_env.sh
cd build-asan
if [ $# -eq 0 ]; then set -- -L 'unit|fuzz'; fi
ctest --output-on-failure -j "$JOBS" "$@"
t2=$(date +%s)
echo "sanitize: build $((t1 - t0)) s, tests $((t2 - t1)) s"
